package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * BN with its ReLU in one pass ({@link BatchNorm2d#forwardRelu}/{@link BatchNorm2d#backwardRelu})
 * against the two modules run one after the other: equal bit for bit — outputs, input
 * gradients, parameter gradients and running statistics — in training and evaluation mode.
 */
class BatchNormReluFusionTest {

    private static BatchNorm2d bn(int c, SplittableRandom rng) {
        BatchNorm2d b = new BatchNorm2d(c);
        for (int i = 0; i < c; i++) {
            b.weight.data()[i] = (float) rng.nextDouble(-1.5, 1.5);
            b.bias.data()[i] = (float) rng.nextDouble(-0.5, 0.5);
            b.runningMean.data()[i] = (float) rng.nextDouble(-0.3, 0.3);
            b.runningVar.data()[i] = (float) rng.nextDouble(0.5, 2);
        }
        return b;
    }

    private static Tensor random(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rng.nextGaussian() * 2f + 0.3f;
        }
        return t;
    }

    @Test
    void fusedEqualsBatchNormThenReluBitForBit() {
        int[][] shapes = {{4, 3, 5, 7}, {2, 8, 16, 16}, {128, 2, 1, 1}, {3, 5, 9, 31}};
        for (boolean training : new boolean[]{true, false}) {
            for (int[] shape : shapes) {
                SplittableRandom rng = new SplittableRandom(shape[1] * 31L + shape[3] + (training ? 1 : 0));
                BatchNorm2d plain = bn(shape[1], new SplittableRandom(7));
                BatchNorm2d fused = bn(shape[1], new SplittableRandom(7));
                plain.train(training);
                fused.train(training);
                ReLU relu = new ReLU();
                Tensor x = random(rng, shape);
                Tensor g = random(rng, shape);

                Tensor want = relu.forward(plain.forward(x));
                Tensor got = fused.forwardRelu(x);
                assertArrayEquals(want.data(), got.data(), "forward " + Tensor.shapeString(shape));
                Tensor dWant = plain.backward(relu.backward(g));
                Tensor dGot = fused.backwardRelu(g);
                assertArrayEquals(dWant.data(), dGot.data(), "input gradient " + Tensor.shapeString(shape));
                assertArrayEquals(plain.weight.grad().data(), fused.weight.grad().data(), "weight gradient");
                assertArrayEquals(plain.bias.grad().data(), fused.bias.grad().data(), "bias gradient");
                assertArrayEquals(plain.runningMean.data(), fused.runningMean.data(), "running_mean");
                assertArrayEquals(plain.runningVar.data(), fused.runningVar.data(), "running_var");
            }
        }
    }

    @Test
    void backwardReluNeedsForwardRelu() {
        BatchNorm2d b = new BatchNorm2d(2);
        Tensor x = random(new SplittableRandom(1), 2, 2, 3, 3);
        b.forward(x);
        assertThrows(IllegalStateException.class, () -> b.backwardRelu(x));
    }
}
