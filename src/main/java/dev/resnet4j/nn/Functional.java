package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;

/** Stateless helpers over logits. */
public final class Functional {
    private Functional() {
    }

    /** Softmax along dim 1 of [N, C] logits (max-subtracted, so large logits do not overflow). */
    public static Tensor softmax(Tensor logits) {
        if (logits.rank() != 2) {
            throw new IllegalArgumentException("softmax expects [N, C] logits, got " + logits.shapeString());
        }
        int n = logits.dim(0);
        int c = logits.dim(1);
        float[] x = logits.data();
        Tensor out = Tensor.zeros(n, c);
        float[] y = out.data();
        for (int i = 0; i < n; i++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, x[i * c + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                double e = Math.exp(x[i * c + j] - max);
                y[i * c + j] = (float) e;
                sum += e;
            }
            for (int j = 0; j < c; j++) {
                y[i * c + j] = (float) (y[i * c + j] / sum);
            }
        }
        return out;
    }

    /** Index of the largest logit in each row. */
    public static int[] argmax(Tensor logits) {
        int n = logits.dim(0);
        int c = logits.dim(1);
        float[] x = logits.data();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < c; j++) {
                if (x[i * c + j] > x[i * c + best]) {
                    best = j;
                }
            }
            out[i] = best;
        }
        return out;
    }
}
