package dev.resnet4j.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The value-only max pool against the element-by-element definition with argmax. */
class PoolingTest {
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
