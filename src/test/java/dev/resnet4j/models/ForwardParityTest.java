package dev.resnet4j.models;

import dev.resnet4j.Fixture;
import dev.resnet4j.FixtureWeights;
import dev.resnet4j.kernels.Gemm;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.resnet4j.Assertions2.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Eval-mode logits equal torchvision's (fixtures: tools/gen_model_fixtures.py), with
 * non-trivial BN statistics and affine parameters, for several depths, channel counts and
 * odd input sizes — through the folded inference plan (at batch 1 its packed products for the
 * few-pixel layers, {@code PackedConv}) and through the plain modules.
 */
class ForwardParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"resnet18_rgb", "resnet18_gray", "resnet18_224", "resnet34_odd", "resnet50", "resnet101_gray"})
    void logitsMatchPyTorch(String name) throws InterruptedException {
        // the fast paths (indirect and packed products, Winograd) run once the vector kernel does
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        Fixture f = Fixture.load("parity/forward_" + name + ".txt");
        ResNet model = ResNets.create(f.str("arch"), f.integer("num_classes"), f.integer("grayscale") == 1, 0);
        FixtureWeights.fill(model);
        model.eval();
        Tensor x = FixtureWeights.uniform("input", -2.0, 2.0, f.ints("input_shape"));
        for (boolean folded : new boolean[]{true, false}) {
            model.setFoldedInference(folded);
            for (int threads : new int[]{1, 2}) {
                Parallel.setThreads(threads);
                try {
                    Tensor logits = model.forward(x);
                    String what = name + (folded ? " (BN folded)" : " (modules)") + ", " + threads + " threads";
                    assertArrayEquals(f.ints("logits_shape"), logits.shape());
                    assertClose(logits.data(), f.floats("logits"), 1e-4, what + " logits");
                    assertClose(Functional.softmax(logits).data(), f.floats("probabilities"), 1e-4, what + " probabilities");
                } finally {
                    Parallel.setThreads(Runtime.getRuntime().availableProcessors());
                }
            }
        }
    }
}
