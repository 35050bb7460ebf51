package dev.resnet4j.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The element-wise passes against their scalar definitions, sizes on both sides of the split. */
class ElementwiseTest {
    private static final int[] SIZES = {0, 1, 7, 8, 9, 255, 256, 257, 1000, Elementwise.PARALLEL_MIN * 2 + 3};

    @Test
    void reluAndItsMaskMatchTheDefinitions() {
        Random rnd = new Random(1);
        for (int n : SIZES) {
            float[] x = random(rnd, n);
            if (n > 3) {
                x[0] = Float.NaN;
                x[1] = -0f;
                x[2] = 0f;
            }
            float[] y = new float[n];
            Elementwise.relu(x, y, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Math.max(x[i], 0f), y[i]);
            }
            float[] g = random(rnd, n);
            float[] dx = new float[n];
            float[] want = new float[n];
            Elementwise.reluMask(y, g, dx, n);
            Elementwise.referenceReluMask(y, g, want, n);
            assertArrayEquals(want, dx);

            float[] o = random(rnd, n);
            float[] r = random(rnd, n);
            float[] sum = o.clone();
            Elementwise.addRelu(sum, r, n);
            float[] acc = o.clone();
            Elementwise.addInPlace(acc, r, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Math.max(o[i] + r[i], 0f), sum[i]);
                assertEquals(o[i] + r[i], acc[i]);
            }
        }
    }

    @Test
    void sumsMatchDoubleAccumulation() {
        Random rnd = new Random(2);
        for (int n : SIZES) {
            float[] x = random(rnd, n + 5);
            float[] g = random(rnd, n + 5);
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] * 3 + 10; // an offset, as activations before BN have
            }
            float mu = 10.2f;
            double s = 0, sq = 0, sp = 0;
            for (int i = 5; i < n + 5; i++) {
                s += x[i];
                sq += (double) (x[i] - mu) * (x[i] - mu);
                sp += (double) g[i] * (x[i] - mu);
            }
            double tol = 1e-5 * (n + 1);
            assertEquals(s, Elementwise.sum(x, 5, n), tol * 10, "sum " + n);
            assertEquals(sq, Elementwise.sumSquaredDeviation(x, 5, n, mu), tol * 10, "sq " + n);
            assertEquals(sp, Elementwise.sumProductDeviation(g, x, 5, n, mu), tol * 10, "sp " + n);
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextFloat() * 2 - 1;
        }
        return x;
    }
}
