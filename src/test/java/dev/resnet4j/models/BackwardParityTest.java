package dev.resnet4j.models;

import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.nn.Parameter;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.Map;

import static dev.resnet4j.Assertions2.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Train-mode forward (batch statistics), loss, every parameter's gradient and the updated BN
 * running statistics equal PyTorch's on resnet18 with 1 and 3 input channels.
 */
class BackwardParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"gray_sgd", "rgb_adam"})
    void trainForwardAndGradientsMatchPyTorch(String name) {
        TrainParity p = new TrainParity(name);
        ResNet model = p.model();
        Tensor logits = model.forward(p.batch(1));
        assertClose(logits.data(), p.f.floats("logits1"), 1e-4, "train-mode logits");
        CrossEntropyLoss loss = new CrossEntropyLoss();
        double l = loss.forward(logits, p.labels(1));
        assertEquals(Double.parseDouble(p.f.str("loss1")), l, 1e-4 * Math.abs(l), "loss");
        model.zeroGrad();
        model.backward(loss.backward());

        Map<String, Tensor> grads = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            grads.put(e.getKey(), e.getValue().grad());
        }
        p.compare("grad", grads, 1e-4);
        // running_mean / running_var / num_batches_tracked after one train-mode forward; the
        // parameters themselves were not touched yet, so only buffers are compared here.
        Map<String, Tensor> buffers = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> {
            if (k.contains("running") || k.endsWith("num_batches_tracked")) {
                buffers.put(k, v);
            }
        });
        p.compare("after_forward1", buffers, 1e-5);
    }
}
