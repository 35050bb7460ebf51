package dev.resnet4j;

import static org.junit.jupiter.api.Assertions.fail;

/** Tolerance checks shared by parity tests. */
public final class Assertions2 {
    private Assertions2() {
    }

    /**
     * Largest |a−e| divided by the largest |e| (a relative error over the whole tensor, which
     * does not blow up on entries near zero).
     */
    public static double relativeError(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != expected " + expected.length);
        }
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < actual.length; i++) {
            if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) {
                return Double.POSITIVE_INFINITY;
            }
            maxDiff = Math.max(maxDiff, Math.abs((double) actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    public static void assertClose(float[] actual, float[] expected, double tol, String what) {
        double err = relativeError(actual, expected);
        if (!(err <= tol)) {
            fail(what + ": relative error " + err + " exceeds " + tol);
        }
    }
}
