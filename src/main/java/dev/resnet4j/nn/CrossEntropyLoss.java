package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;

/**
 * PyTorch's {@code nn.CrossEntropyLoss(reduction='mean', label_smoothing=ε)} on [N, C] logits
 * and integer targets. {@link #forward} returns the loss; {@link #backward()} the gradient
 * with respect to the logits, (softmax − q)/N with q the (smoothed) one-hot target.
 */
public final class CrossEntropyLoss {
    private final double labelSmoothing;
    private Tensor probs;
    private int[] targets;

    public CrossEntropyLoss() {
        this(0.0);
    }

    public CrossEntropyLoss(double labelSmoothing) {
        if (labelSmoothing < 0 || labelSmoothing > 1) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        this.labelSmoothing = labelSmoothing;
    }

    public double forward(Tensor logits, int[] target) {
        int n = logits.dim(0);
        int c = logits.dim(1);
        if (target.length != n) {
            throw new IllegalArgumentException("got " + target.length + " targets for " + n + " rows of logits");
        }
        float[] x = logits.data();
        double total = 0;
        for (int i = 0; i < n; i++) {
            if (target[i] < 0 || target[i] >= c) {
                throw new IllegalArgumentException("target " + target[i] + " is out of range for " + c + " classes");
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, x[i * c + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(x[i * c + j] - max);
            }
            double logSum = max + Math.log(sum);
            double nll = logSum - x[i * c + target[i]];
            if (labelSmoothing > 0) {
                double meanLogP = 0;
                for (int j = 0; j < c; j++) {
                    meanLogP += logSum - x[i * c + j];
                }
                nll = (1 - labelSmoothing) * nll + labelSmoothing * meanLogP / c;
            }
            total += nll;
        }
        probs = Functional.softmax(logits);
        targets = target.clone();
        return total / n;
    }

    public Tensor backward() {
        int n = probs.dim(0);
        int c = probs.dim(1);
        Tensor g = probs.copy();
        float[] d = g.data();
        float off = (float) (labelSmoothing / c);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                float q = off + (j == targets[i] ? (float) (1 - labelSmoothing) : 0f);
                d[i * c + j] = (d[i * c + j] - q) / n;
            }
        }
        return g;
    }
}
