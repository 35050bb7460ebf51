package dev.resnet4j.nn;

import dev.resnet4j.models.BasicBlock;
import dev.resnet4j.models.Bottleneck;
import dev.resnet4j.models.Layers;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.BlockType;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Central finite differences against every module's backward: for L = Σ out·R with a fixed
 * random R, ∂L/∂x and ∂L/∂θ from backward must match (L(v+h) − L(v−h)) / 2h at sampled
 * coordinates. Computed in float32, so the tolerance is loose (2%) but a wrong formula is off
 * by far more.
 */
class GradientCheckTest {
    private static final double H = 3e-3;
    private static final double TOL = 2e-2;

    private static Tensor random(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return t;
    }

    private static double loss(Module m, Tensor x, Tensor r) {
        Tensor y = m.forward(x);
        double s = 0;
        for (int i = 0; i < y.size(); i++) {
            s += (double) y.data()[i] * r.data()[i];
        }
        return s;
    }

    /** Checks input and parameter gradients of {@code m} at {@code samples} random coordinates each. */
    static void check(Supplier<Module> factory, boolean training, int samples, int... inShape) {
        SplittableRandom rng = new SplittableRandom(42);
        Module m = factory.get();
        m.train(training);
        // BN running statistics change on every train-mode forward; they do not enter the
        // train-mode output, so repeated forwards are still the same function of (x, θ).
        Tensor x = random(rng, inShape);
        Tensor y = m.forward(x);
        Tensor r = random(rng, y.shape());
        m.zeroGrad();
        m.forward(x);
        Tensor dx = m.backward(r.copy());
        double base = loss(m, x, r);
        int skipped = 0;
        int total = 0;
        for (int s = 0; s < samples; s++) {
            int i = rng.nextInt(x.size());
            float old = x.data()[i];
            Double numeric = numeric(m, x, r, x.data(), i, base);
            if (numeric != null) {
                assertNear(numeric, dx.data()[i], "d/dx[" + i + "] of " + m.getClass().getSimpleName());
            } else {
                skipped++;
            }
            total++;
        }
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            for (int s = 0; s < samples; s++) {
                int i = rng.nextInt(p.size());
                Double numeric = numeric(m, x, r, p.data(), i, base);
                if (numeric != null) {
                    assertNear(numeric, p.grad().data()[i], "d/d" + e.getKey() + "[" + i + "]");
                } else {
                    skipped++;
                }
                total++;
            }
        }
        assertTrue(skipped * 4 <= total, "too many non-smooth coordinates: " + skipped + " of " + total);
    }

    /**
     * Central difference at coordinate i of {@code values}, or null where a ReLU or max-pool
     * kink lies within ±H (the one-sided differences disagree), where no derivative exists.
     */
    private static Double numeric(Module m, Tensor x, Tensor r, float[] values, int i, double base) {
        float old = values[i];
        values[i] = (float) (old + H);
        double lp = loss(m, x, r);
        values[i] = (float) (old - H);
        double lm = loss(m, x, r);
        values[i] = old;
        double forward = (lp - base) / H;
        double backward = (base - lm) / H;
        double scale = Math.max(1.0, Math.max(Math.abs(forward), Math.abs(backward)));
        if (Math.abs(forward - backward) > TOL * scale) {
            return null;
        }
        return (lp - lm) / (2 * H);
    }

    private static void assertNear(double numeric, double analytic, String what) {
        double scale = Math.max(1.0, Math.max(Math.abs(numeric), Math.abs(analytic)));
        assertTrue(Math.abs(numeric - analytic) <= TOL * scale,
                what + ": numeric " + numeric + " vs backward " + analytic);
    }

    @Test
    void conv2dStridedPaddedWithBias() {
        check(() -> {
            Conv2d c = new Conv2d(3, 4, 3, 2, 1, true);
            new Init(1).normal(c.weight.value(), 0, 0.3);
            new Init(2).normal(c.bias.value(), 0, 0.3);
            return c;
        }, true, 12, 2, 3, 7, 6);
    }

    @Test
    void conv1x1AndStem() {
        check(() -> {
            Conv2d c = Layers.conv1x1(5, 3, 1);
            new Init(3).normal(c.weight.value(), 0, 0.3);
            return c;
        }, true, 12, 2, 5, 4, 4);
        check(() -> {
            Conv2d c = new Conv2d(1, 2, 7, 2, 3, false);
            new Init(4).normal(c.weight.value(), 0, 0.1);
            return c;
        }, true, 12, 1, 1, 9, 11);
    }

    @Test
    void batchNormTrainAndEval() {
        Supplier<Module> bn = () -> {
            BatchNorm2d b = new BatchNorm2d(3);
            new Init(5).uniform(b.weight.value(), 0.5, 1.5);
            new Init(6).uniform(b.bias.value(), -0.5, 0.5);
            new Init(7).uniform(b.runningVar, 0.5, 1.5);
            return b;
        };
        check(bn, true, 12, 2, 3, 3, 4);
        check(bn, false, 12, 2, 3, 3, 4);
    }

    @Test
    void poolingLinearReluFlatten() {
        check(() -> new MaxPool2d(3, 2, 1), true, 12, 2, 2, 7, 5);
        check(() -> new AdaptiveAvgPool2d(1, 1), true, 8, 2, 3, 5, 3);
        check(() -> new AdaptiveAvgPool2d(2, 3), true, 8, 1, 2, 5, 7);
        check(ReLU::new, true, 12, 2, 3, 4);
        check(() -> {
            Linear l = new Linear(6, 4);
            l.resetParameters(new Init(8));
            return l;
        }, true, 12, 3, 6);
        check(() -> new Sequential(new Flatten(), new Linear(12, 2)), true, 8, 2, 3, 2, 2);
    }

    @Test
    void blocksWithAndWithoutProjection() {
        check(() -> randomised(new BasicBlock(4, 4, 1, null)), true, 10, 2, 4, 5, 5);
        check(() -> randomised(new BasicBlock(3, 6, 2, new Sequential(Layers.conv1x1(3, 6, 2), new BatchNorm2d(6)))),
                true, 10, 2, 3, 6, 5);
        check(() -> randomised(new Bottleneck(8, 2, 2, new Sequential(Layers.conv1x1(8, 8, 2), new BatchNorm2d(8)))),
                true, 10, 2, 8, 5, 5);
    }

    @Test
    void wholeNetworkInEvalMode() {
        // eval-mode backward (what Grad-CAM needs) runs the unfolded modules
        check(() -> randomised(new ResNet(BlockType.BASIC, new int[]{1, 1, 1, 1}, 3, true, 9).setFoldedInference(false)),
                false, 6, 1, 1, 33, 33);
    }

    private static Module randomised(Module m) {
        Init init = new Init(11);
        for (Module sub : m.namedModules().values()) {
            if (sub instanceof BatchNorm2d b) {
                init.uniform(b.weight.value(), 0.5, 1.5);
                init.uniform(b.bias.value(), -0.3, 0.3);
            } else if (sub instanceof Conv2d c) {
                init.normal(c.weight.value(), 0, Math.sqrt(2.0 / (c.inChannels * c.kernelSize * c.kernelSize)));
            }
        }
        return m;
    }

    @Test
    void crossEntropyWithLabelSmoothing() {
        SplittableRandom rng = new SplittableRandom(3);
        Tensor logits = random(rng, 4, 5);
        int[] target = {0, 3, 4, 1};
        for (double eps : new double[]{0.0, 0.1}) {
            CrossEntropyLoss ce = new CrossEntropyLoss(eps);
            ce.forward(logits, target);
            Tensor g = ce.backward();
            for (int i = 0; i < logits.size(); i++) {
                float old = logits.data()[i];
                logits.data()[i] = (float) (old + H);
                double lp = new CrossEntropyLoss(eps).forward(logits, target);
                logits.data()[i] = (float) (old - H);
                double lm = new CrossEntropyLoss(eps).forward(logits, target);
                logits.data()[i] = old;
                assertEquals((lp - lm) / (2 * H), g.data()[i], 1e-3, "dCE/dlogit[" + i + "], smoothing " + eps);
            }
        }
    }
}
