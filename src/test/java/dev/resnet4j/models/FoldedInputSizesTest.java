package dev.resnet4j.models;

import dev.resnet4j.kernels.Gemm;
import dev.resnet4j.kernels.PackedStem;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.resnet4j.Assertions2.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The folded plan against the plain modules' eval forward on inputs of any size (the seed's
 * "any input size"): square and not, down to 1×1 (the stem's and the pool's output a single
 * pixel, the packed stem's ring one row), RGB and grayscale, one and three images, so that the
 * packed stem and the runs of blocks in the padded layout meet their edge cases.
 */
class FoldedInputSizesTest {
    @Test
    void anyInputSizeEqualsThePlainForward() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        int[][] sizes = {{1, 1}, {5, 5}, {7, 9}, {17, 17}, {33, 45}, {64, 40}};
        Random rnd = new Random(21);
        int packed = 0;
        for (boolean grayscale : new boolean[]{false, true}) {
            ResNet model = ResNets.create("resnet18", 10, grayscale, 4);
            RandomStats.set(model, rnd);
            model.eval();
            for (int n : new int[]{1, 3}) {
                for (int[] hw : sizes) {
                    Tensor x = Tensor.zeros(n, grayscale ? 1 : 3, hw[0], hw[1]);
                    for (int i = 0; i < x.size(); i++) {
                        x.data()[i] = (float) rnd.nextGaussian();
                    }
                    model.setFoldedInference(false);
                    float[] want = model.forward(x).data().clone();
                    FoldedInference plan = new FoldedInference(model);
                    float[] got = plan.forward(x).data().clone();
                    String what = (grayscale ? "grayscale " : "RGB ") + n + "x" + hw[0] + "x" + hw[1];
                    assertClose(got, want, 1e-4, what);
                    packed += plan.lastStemPacked ? 1 : 0;
                }
            }
        }
        assertTrue(!PackedStem.ON || packed == 2 * 2 * sizes.length, "the packed stem ran " + packed + " times");
    }
}
