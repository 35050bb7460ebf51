package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

/**
 * The element-wise passes around the convolutions (ReLU, its gradient mask, the residual add)
 * and the per-channel sums BatchNorm needs, as plain loops the JIT compiles well: the masks
 * are branch-free (a ReLU mask on real activations is a coin flip per element, and a branch
 * mispredicts half the time), the sums run eight independent float accumulators over short
 * blocks that are then added in double (a single double accumulator waits four cycles per
 * element on the add before it). Large arrays are split over the worker threads.
 * Scalar definitions are the {@code reference*} methods; tests compare the two.
 */
public final class Elementwise {
    /** Below this many elements a pass runs on the calling thread. */
    static final int PARALLEL_MIN = 1 << 16;
    /** Elements summed in float before the partial sums are added in double. */
    static final int BLOCK = 256;

    private Elementwise() {
    }

    /** y = max(x, 0) (NaN stays NaN, −0 becomes +0, as {@code Math.max}). */
    public static void relu(float[] x, float[] y, int n) {
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                y[i] = Math.max(x[i], 0f);
            }
        });
    }

    /** o = max(o + r, 0), in place: the residual add and the block's final ReLU. */
    public static void addRelu(float[] o, float[] r, int n) {
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                o[i] = Math.max(o[i] + r[i], 0f);
            }
        });
    }

    /** d += s. */
    public static void addInPlace(float[] d, float[] s, int n) {
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                d[i] += s[i];
            }
        });
    }

    /**
     * dx = out &gt; 0 ? g : 0 for a ReLU output {@code out} (every element +0, positive or NaN,
     * as {@link #relu} makes them), without a branch: such an element is positive or NaN
     * exactly when its bit pattern is not zero, and then its mask is all ones.
     */
    public static void reluMask(float[] out, float[] g, float[] dx, int n) {
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int bits = Float.floatToRawIntBits(out[i]);
                int mask = (bits | -bits) >> 31;
                dx[i] = Float.intBitsToFloat(Float.floatToRawIntBits(g[i]) & mask);
            }
        });
    }

    /** g where the ReLU output {@code out} is positive or NaN, else +0: one element of {@link #reluMask}. */
    public static float masked(float g, float out) {
        int bits = Float.floatToRawIntBits(out);
        int mask = (bits | -bits) >> 31;
        return Float.intBitsToFloat(Float.floatToRawIntBits(g) & mask);
    }

    /** Scalar definition of {@link #reluMask} (PyTorch's threshold_backward at 0). */
    static void referenceReluMask(float[] out, float[] g, float[] dx, int n) {
        for (int i = 0; i < n; i++) {
            dx[i] = out[i] > 0f || Float.isNaN(out[i]) ? g[i] : 0f;
        }
    }

    /** Σ x[off .. off+len). */
    public static double sum(float[] x, int off, int len) {
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = off + Math.min(len, b + BLOCK);
            int i = off + b;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (; i + 8 <= end; i += 8) {
                s0 += x[i];
                s1 += x[i + 1];
                s2 += x[i + 2];
                s3 += x[i + 3];
                s4 += x[i + 4];
                s5 += x[i + 5];
                s6 += x[i + 6];
                s7 += x[i + 7];
            }
            for (; i < end; i++) {
                s0 += x[i];
            }
            total += ((double) s0 + s1) + ((double) s2 + s3) + ((double) s4 + s5) + ((double) s6 + s7);
        }
        return total;
    }

    /** Σ (x − mu)² over x[off .. off+len). */
    public static double sumSquaredDeviation(float[] x, int off, int len, float mu) {
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = off + Math.min(len, b + BLOCK);
            int i = off + b;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (; i + 8 <= end; i += 8) {
                float d0 = x[i] - mu, d1 = x[i + 1] - mu, d2 = x[i + 2] - mu, d3 = x[i + 3] - mu;
                float d4 = x[i + 4] - mu, d5 = x[i + 5] - mu, d6 = x[i + 6] - mu, d7 = x[i + 7] - mu;
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
                s4 += d4 * d4;
                s5 += d5 * d5;
                s6 += d6 * d6;
                s7 += d7 * d7;
            }
            for (; i < end; i++) {
                float d = x[i] - mu;
                s0 += d * d;
            }
            total += ((double) s0 + s1) + ((double) s2 + s3) + ((double) s4 + s5) + ((double) s6 + s7);
        }
        return total;
    }

    /** Σ g·(x − mu) over [off .. off+len) of both arrays. */
    public static double sumProductDeviation(float[] g, float[] x, int off, int len, float mu) {
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = off + Math.min(len, b + BLOCK);
            int i = off + b;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (; i + 8 <= end; i += 8) {
                s0 += g[i] * (x[i] - mu);
                s1 += g[i + 1] * (x[i + 1] - mu);
                s2 += g[i + 2] * (x[i + 2] - mu);
                s3 += g[i + 3] * (x[i + 3] - mu);
                s4 += g[i + 4] * (x[i + 4] - mu);
                s5 += g[i + 5] * (x[i + 5] - mu);
                s6 += g[i + 6] * (x[i + 6] - mu);
                s7 += g[i + 7] * (x[i + 7] - mu);
            }
            for (; i < end; i++) {
                s0 += g[i] * (x[i] - mu);
            }
            total += ((double) s0 + s1) + ((double) s2 + s3) + ((double) s4 + s5) + ((double) s6 + s7);
        }
        return total;
    }

    /** {@link #sum} of g masked by the ReLU output {@code out} ({@link #masked}), in the same order. */
    public static double sumMasked(float[] g, float[] out, int off, int len) {
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = off + Math.min(len, b + BLOCK);
            int i = off + b;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (; i + 8 <= end; i += 8) {
                s0 += masked(g[i], out[i]);
                s1 += masked(g[i + 1], out[i + 1]);
                s2 += masked(g[i + 2], out[i + 2]);
                s3 += masked(g[i + 3], out[i + 3]);
                s4 += masked(g[i + 4], out[i + 4]);
                s5 += masked(g[i + 5], out[i + 5]);
                s6 += masked(g[i + 6], out[i + 6]);
                s7 += masked(g[i + 7], out[i + 7]);
            }
            for (; i < end; i++) {
                s0 += masked(g[i], out[i]);
            }
            total += ((double) s0 + s1) + ((double) s2 + s3) + ((double) s4 + s5) + ((double) s6 + s7);
        }
        return total;
    }

    /** {@link #sumProductDeviation} of g masked by the ReLU output {@code out}, in the same order. */
    public static double sumProductDeviationMasked(float[] g, float[] out, float[] x, int off, int len, float mu) {
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = off + Math.min(len, b + BLOCK);
            int i = off + b;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (; i + 8 <= end; i += 8) {
                s0 += masked(g[i], out[i]) * (x[i] - mu);
                s1 += masked(g[i + 1], out[i + 1]) * (x[i + 1] - mu);
                s2 += masked(g[i + 2], out[i + 2]) * (x[i + 2] - mu);
                s3 += masked(g[i + 3], out[i + 3]) * (x[i + 3] - mu);
                s4 += masked(g[i + 4], out[i + 4]) * (x[i + 4] - mu);
                s5 += masked(g[i + 5], out[i + 5]) * (x[i + 5] - mu);
                s6 += masked(g[i + 6], out[i + 6]) * (x[i + 6] - mu);
                s7 += masked(g[i + 7], out[i + 7]) * (x[i + 7] - mu);
            }
            for (; i < end; i++) {
                s0 += masked(g[i], out[i]) * (x[i] - mu);
            }
            total += ((double) s0 + s1) + ((double) s2 + s3) + ((double) s4 + s5) + ((double) s6 + s7);
        }
        return total;
    }
}
