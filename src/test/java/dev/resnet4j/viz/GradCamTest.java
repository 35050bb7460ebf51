package dev.resnet4j.viz;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.nn.BatchNorm2d;
import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GradCamTest {

    /**
     * A resnet18 rigged so that layer4's channel c is input channel c subsampled by 32: the stem
     * conv copies channel c at its centre tap, every residual branch is switched off (bn2 weight
     * 0, as torchvision's zero_init_residual), and every projection shortcut copies channel c.
     * The fc makes class 1 = mean(A_0) − 0.5·mean(A_1) and class 0 = 0.1·mean(A_1).
     */
    static ResNet riggedModel() {
        ResNet m = ResNets.create("resnet18", 2, false, 7);
        for (Map.Entry<String, Module> e : m.namedModules().entrySet()) {
            if (e.getValue() instanceof BatchNorm2d bn && e.getKey().endsWith("bn2")) {
                bn.weight.value().fill(0f);
            }
            if (e.getValue() instanceof Conv2d conv && (e.getKey().equals("conv1") || e.getKey().endsWith("downsample.0"))) {
                conv.weight.value().fill(0f);
                int centre = conv.kernelSize / 2;
                for (int c = 0; c < 3; c++) {
                    conv.weight.value().set(1f, c, c, centre, centre);
                }
            }
        }
        m.fc.weight.value().fill(0f);
        m.fc.bias.value().fill(0f);
        m.fc.weight.value().set(1f, 1, 0);
        m.fc.weight.value().set(-0.5f, 1, 1);
        m.fc.weight.value().set(0.1f, 0, 1);
        return m;
    }

    /** 128×128: channel 0 = 1 in the top-left quadrant, channel 1 = 3 (brighter) in the bottom-right. */
    static Tensor quadrantInput() {
        Tensor x = Tensor.zeros(1, 3, 128, 128);
        for (int y = 0; y < 128; y++) {
            for (int i = 0; i < 128; i++) {
                if (y < 48 && i < 48) {
                    x.set(1f, 0, 0, y, i);
                }
                if (y >= 60 && i >= 60) {
                    x.set(3f, 0, 1, y, i);
                }
            }
        }
        return x;
    }

    @Test
    void camFollowsTheChannelTheClassDependsOn() {
        ResNet model = riggedModel();
        Tensor x = quadrantInput();

        // The rig works as intended: A_0 lives in the top-left 2×2 of the 4×4 map, A_1 bottom-right.
        model.eval();
        Tensor a = model.features(x);
        assertArrayEquals(new int[]{1, 512, 4, 4}, a.shape());
        assertTrue(a.get(0, 0, 0, 0) > 0.9f && a.get(0, 0, 3, 3) == 0f);
        assertTrue(a.get(0, 1, 3, 3) > 2.9f && a.get(0, 1, 0, 0) == 0f);

        // Class 1 depends positively on channel 0 only (channel 1 counts against it): top-left.
        GradCam.Result one = GradCam.compute(model, x, 1);
        assertEquals(1, one.targetClass());
        assertEquals(1f / 16, one.weights()[0], 1e-7);
        assertEquals(-0.5f / 16, one.weights()[1], 1e-7);
        int[] peak = argmax(one.cam());
        assertTrue(peak[0] < 64 && peak[1] < 64, "peak of class 1 at " + peak[0] + "," + peak[1]);
        assertEquals(1f, one.cam()[peak[0]][peak[1]], 1e-6);
        // ReLU: the negative evidence in the bottom-right and the empty quadrants stay at zero.
        assertEquals(0f, one.coarse()[3][3]);
        assertEquals(0f, one.coarse()[0][3]);
        assertEquals(0f, one.cam()[127][127]);
        assertEquals(0f, one.cam()[0][127]);

        // The predicted class (0) depends on channel 1 only: bottom-right.
        GradCam.Result pred = GradCam.compute(model, x);
        assertEquals(0, pred.targetClass());
        assertEquals(0, pred.predictedClass());
        int[] p0 = argmax(pred.cam());
        assertTrue(p0[0] >= 64 && p0[1] >= 64, "peak of class 0 at " + p0[0] + "," + p0[1]);
        assertEquals(0f, pred.cam()[0][0]);
    }

    @Test
    void equalsTheClosedFormForTheAvgpoolLinearHead() {
        ResNet model = ResNets.create("resnet18", 10, false, 42);
        Tensor x = randomImage(new Random(3), 3, 96, 80);
        int target = 4;
        GradCam.Result r = GradCam.compute(model, x, target);

        // Independent computation: dy_c/dA_k(i,j) = W_fc[c,k] / (h·w), so α_k = W_fc[c,k] / (h·w).
        model.eval();
        Tensor a = model.features(x);
        int k = a.dim(1);
        int h = a.dim(2);
        int w = a.dim(3);
        assertEquals(3, h);
        assertEquals(3, w);
        double scaleMax = 0;
        for (int y = 0; y < h; y++) {
            for (int i = 0; i < w; i++) {
                double s = 0;
                for (int c = 0; c < k; c++) {
                    double alpha = model.fc.weight.value().get(target, c) / (h * w);
                    if (y == 0 && i == 0) {
                        assertEquals(alpha, r.weights()[c], 1e-7, "alpha " + c);
                    }
                    s += alpha * a.get(0, c, y, i);
                }
                double expected = Math.max(0, s);
                scaleMax = Math.max(scaleMax, Math.abs(expected));
                assertEquals(expected, r.coarse()[y][i], 1e-5 * (1 + Math.abs(expected)), "cam at " + y + "," + i);
            }
        }
        assertTrue(scaleMax > 0, "the random model gives some positive evidence for the check to mean anything");
        assertEquals(96, r.cam().length);
        assertEquals(80, r.cam()[0].length);
        // Logits agree with the model's own forward, and the default target is the argmax.
        Tensor logits = model.forward(x);
        assertArrayEquals(logits.data(), r.logits(), 1e-5f);
        assertEquals(Functional.argmax(logits)[0], GradCam.compute(model, x).targetClass());
    }

    @Test
    void leavesModeAndGradientsAlone() {
        ResNet model = ResNets.create("resnet18", 3, true, 1);
        model.train(true);
        GradCam.compute(model, randomImage(new Random(1), 1, 64, 64), 2);
        assertTrue(model.isTraining(), "training mode restored");
        assertFalse(model.fc.weight.hasGrad() && nonZero(model.fc.weight.grad()), "fc.weight.grad untouched");
        assertFalse(model.fc.bias.hasGrad() && nonZero(model.fc.bias.grad()), "fc.bias.grad untouched");
        assertTrue(model.fc.weight.requiresGrad());
    }

    @Test
    void rejectsBatchesAndBadClasses() {
        ResNet model = ResNets.create("resnet18", 3, true, 1);
        assertThrows(IllegalArgumentException.class, () -> GradCam.compute(model, Tensor.zeros(2, 1, 64, 64)));
        assertThrows(IllegalArgumentException.class, () -> GradCam.compute(model, Tensor.zeros(1, 3, 64, 64)));
        assertThrows(IllegalArgumentException.class, () -> GradCam.compute(model, Tensor.zeros(1, 1, 64, 64), 3));
    }

    @Test
    void bilinearMatchesPyTorchAlignCornersFalse() {
        // torch.nn.functional.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), size=(4, 4), mode="bilinear")
        float[][] expected = {
                {0.0f, 0.25f, 0.75f, 1.0f},
                {0.5f, 0.75f, 1.25f, 1.5f},
                {1.5f, 1.75f, 2.25f, 2.5f},
                {2.0f, 2.25f, 2.75f, 3.0f}};
        float[][] up = GradCam.upsampleBilinear(new float[][]{{0, 1}, {2, 3}}, 4, 4);
        for (int y = 0; y < 4; y++) {
            assertArrayEquals(expected[y], up[y], 1e-6f, "row " + y);
        }
        // Non-integer factor, 3 → 5 along one axis: (o + 0.5)·0.6 − 0.5 = 0, 0.4, 1.0, 1.6, 2.0 (clamped).
        float[][] up2 = GradCam.upsampleBilinear(new float[][]{{0, 10, 20}}, 1, 5);
        assertArrayEquals(new float[]{0, 4, 10, 16, 20}, up2[0], 1e-5f);
    }

    @Test
    void overlayRendersSideBySide() throws Exception {
        // A picture with a shape in it and a random resnet18: the map is arbitrary, the rendering is checked.
        BufferedImage img = new BufferedImage(112, 112, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(0xf0f0e0));
        g.fillRect(0, 0, 112, 112);
        g.setColor(new Color(0x3060c0));
        g.fillOval(50, 20, 50, 50);
        g.setColor(new Color(0xc04020));
        g.fillRect(10, 70, 40, 30);
        g.dispose();
        Tensor x = Tensor.zeros(1, 3, 112, 112);
        for (int y = 0; y < 112; y++) {
            for (int i = 0; i < 112; i++) {
                int p = img.getRGB(i, y);
                x.set(((p >> 16) & 0xff) / 255f, 0, 0, y, i);
                x.set(((p >> 8) & 0xff) / 255f, 0, 1, y, i);
                x.set((p & 0xff) / 255f, 0, 2, y, i);
            }
        }
        ResNet model = ResNets.create("resnet18", 10, false, 5);
        GradCam.Result r = GradCam.compute(model, x);
        Path png = ChartsTest.OUT.resolve("gradcam.png");
        GradCam.overlay(img, r.cam(), "Grad-CAM, class " + r.targetClass(), png);
        BufferedImage out = ImageIO.read(png.toFile());
        assertTrue(out.getWidth() > 2 * 224 && out.getHeight() >= 224, out.getWidth() + "x" + out.getHeight());

        // And the rigged model's map over its own input, where the answer is known (top-left).
        Tensor q = quadrantInput();
        GradCam.Result one = GradCam.compute(riggedModel(), q, 1);
        GradCam.overlay(Images.fromTensor(q, 0), one.cam(), "class 1 (top-left)", ChartsTest.OUT.resolve("gradcam-rigged.png"));
    }

    @Test
    void turboRunsFromBlueToRed() {
        int lo = GradCam.turbo(0.15f); // turbo starts almost black at 0, blue soon after
        int hi = GradCam.turbo(1f);
        assertTrue((lo & 0xff) > ((lo >> 16) & 0xff), "low end is blue");
        assertTrue(((hi >> 16) & 0xff) > (hi & 0xff), "high end is red");
    }

    static Tensor randomImage(Random rnd, int c, int h, int w) {
        Tensor x = Tensor.zeros(1, c, h, w);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = rnd.nextFloat();
        }
        return x;
    }

    static int[] argmax(float[][] m) {
        int[] best = {0, 0};
        for (int y = 0; y < m.length; y++) {
            for (int x = 0; x < m[0].length; x++) {
                if (m[y][x] > m[best[0]][best[1]]) {
                    best = new int[]{y, x};
                }
            }
        }
        return best;
    }

    static boolean nonZero(Tensor t) {
        for (float v : t.data()) {
            if (v != 0f) {
                return true;
            }
        }
        return false;
    }
}
