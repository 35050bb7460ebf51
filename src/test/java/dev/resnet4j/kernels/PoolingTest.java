package dev.resnet4j.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The value-only max pool against the element-by-element definition with argmax; the pool with
 * argmax (training) against that definition bit for bit, values and indices, with ties, NaNs,
 * −0 next to +0 and −∞ in the windows, on 1 and 2 threads.
 */
class PoolingTest {
    @Test
    void argmaxPoolEqualsTheDefinition() {
        Random rnd = new Random(8);
        int[][] cases = {{3, 2, 1, 16, 16}, {3, 2, 1, 14, 14}, {3, 2, 1, 9, 9}, {2, 2, 0, 7, 6}, {3, 1, 1, 5, 4},
            {1, 1, 0, 3, 3}, {3, 3, 1, 2, 2}, {3, 2, 0, 3, 7}, {3, 2, 1, 1, 1}, {4, 3, 2, 11, 10}, {5, 2, 2, 13, 12},
            {3, 2, 1, 56, 57}};
        float[] specials = {Float.NaN, -0f, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        int threads = dev.resnet4j.tensor.Parallel.threads();
        try {
            for (int th : new int[]{1, 2}) {
                dev.resnet4j.tensor.Parallel.setThreads(th);
                for (int[] t : cases) {
                    int k = t[0], s = t[1], p = t[2], h = t[3], w = t[4];
                    int planes = 9;
                    float[] x = new float[planes * h * w];
                    for (int i = 0; i < x.length; i++) {
                        int kind = rnd.nextInt(10);
                        // few distinct values, so that windows hold ties; some special ones
                        x[i] = kind == 0 ? specials[rnd.nextInt(specials.length)] : (rnd.nextInt(5) - 2) * 0.5f;
                    }
                    int out = planes * Pooling.outSize(h, k, s, p) * Pooling.outSize(w, k, s, p);
                    float[] y = new float[out];
                    int[] arg = new int[out];
                    float[] want = new float[out];
                    int[] wantArg = new int[out];
                    Pooling.maxPoolWithArgmax(x, planes, h, w, k, s, p, y, arg);
                    Pooling.maxPoolWithArgmaxPlain(x, planes, h, w, k, s, p, want, wantArg);
                    int[] indicesOnly = new int[out];
                    Pooling.maxPoolWithArgmax(x, planes, h, w, k, s, p, null, indicesOnly);
                    for (int i = 0; i < out; i++) {
                        String what = java.util.Arrays.toString(t) + " threads " + th + " at " + i;
                        assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(y[i]), what);
                        assertEquals(wantArg[i], arg[i], what + " (index)");
                        assertEquals(wantArg[i], indicesOnly[i], what + " (index, no values asked)");
                    }
                }
            }
        } finally {
            dev.resnet4j.tensor.Parallel.setThreads(threads);
        }
    }

    @Test
    void valuesMatchTheDefinitionIncludingNaN() {
        Random rnd = new Random(4);
        int[][] cases = {{3, 2, 1, 9, 9}, {3, 2, 1, 112, 112}, {2, 2, 0, 7, 6}, {3, 1, 1, 5, 4}, {1, 1, 0, 3, 3}, {3, 3, 1, 2, 2}, {3, 2, 0, 3, 7}, {3, 2, 1, 1, 1}, {3, 1, 0, 4, 3}, {3, 2, 1, 56, 57}, {2, 2, 1, 5, 8}, {4, 3, 2, 11, 10}, {5, 2, 2, 13, 12}};
        for (int[] t : cases) {
            int k = t[0], s = t[1], p = t[2], h = t[3], w = t[4];
            int planes = 5;
            float[] x = new float[planes * h * w];
            for (int i = 0; i < x.length; i++) {
                x[i] = rnd.nextFloat() * 2 - 1;
            }
            x[3] = Float.NaN;
            x[x.length - 1] = Float.NaN;
            int oh = Pooling.outSize(h, k, s, p);
            int ow = Pooling.outSize(w, k, s, p);
            float[] fast = new float[planes * oh * ow];
            float[] ref = new float[fast.length];
            int[] arg = new int[fast.length];
            Pooling.maxPool(x, planes, h, w, k, s, p, fast);
            Pooling.maxPoolWithArgmax(x, planes, h, w, k, s, p, ref, arg);
            for (int i = 0; i < fast.length; i++) {
                assertEquals(ref[i], fast[i], java.util.Arrays.toString(t) + " at " + i);
                assertEquals(ref[i], x[(i / (oh * ow)) * h * w + arg[i]], "argmax points at the maximum");
            }
        }
    }
}
