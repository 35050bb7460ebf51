package dev.resnet4j.viz;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.nn.Parameter;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Grad-CAM on an earlier stage, for small inputs whose layer4 map is 1×1. */
class GradCamStageTest {

    @Test
    void smallInputsUseTheDeepestStageWithAtLeastSevenBySeven() {
        ResNet m = ResNets.resnet18(10, true);
        assertEquals(0, GradCam.defaultStage(m, 28, 28), "28x28: layer1 is 7x7, layer2 4x4");
        assertEquals(3, GradCam.defaultStage(m, 224, 224), "224x224: layer4 is 7x7");
        assertEquals(2, GradCam.defaultStage(m, 112, 112), "112x112: layer3 is 7x7");
    }

    @Test
    void earlierStageGivesARealMapAndLeavesGradientsAlone() {
        ResNet m = ResNets.create("resnet18", 10, true, 4);
        Tensor x = Tensor.zeros(1, 1, 28, 28);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) r.nextGaussian();
        }
        for (Parameter p : m.parameters()) {
            p.grad().fill(0.5f);
        }
        GradCam.Result res = GradCam.compute(m, x, -1, 0);
        assertEquals(7, res.coarse().length);
        assertEquals(64, res.weights().length, "one weight per layer1 channel");
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float[] row : res.coarse()) {
            for (float v : row) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertTrue(max > min, "the 7x7 map varies");
        for (Parameter p : m.parameters()) {
            for (float g : p.grad().data()) {
                assertEquals(0.5f, g, "parameter gradients untouched");
            }
        }
        assertTrue(m.isTraining(), "mode restored");
    }
}
