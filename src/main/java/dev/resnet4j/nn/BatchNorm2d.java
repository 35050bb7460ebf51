package dev.resnet4j.nn;

import dev.resnet4j.kernels.Elementwise;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;

/**
 * PyTorch's {@code nn.BatchNorm2d}: eps 1e-5, momentum 0.1, affine, tracking running stats.
 *
 * <p>Training mode normalises with the batch's mean and biased variance and updates
 * {@code running_mean}/{@code running_var} (the latter with the unbiased variance, as PyTorch
 * does) and {@code num_batches_tracked}. Evaluation mode uses the running statistics. Sums
 * are accumulated in double over short float blocks ({@link Elementwise#sum}) so results
 * track PyTorch's closely for large batches.
 */
public final class BatchNorm2d extends Module {
    public final int numFeatures;
    public final double eps;
    public final double momentum;
    public final Parameter weight;
    public final Parameter bias;
    public final Tensor runningMean;
    public final Tensor runningVar;
    public final Tensor numBatchesTracked;
    private Tensor input;
    private float[] mean;    // statistics used by the last forward
    private float[] invStd;
    private boolean usedBatchStats;
    private Tensor reluOutput; // the output of the last forwardRelu, whose sign masks the gradient

    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1);
    }

    public BatchNorm2d(int numFeatures, double eps, double momentum) {
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = registerParameter("weight", Tensor.full(1f, numFeatures));
        this.bias = registerParameter("bias", Tensor.zeros(numFeatures));
        this.runningMean = registerBuffer("running_mean", Tensor.zeros(numFeatures));
        this.runningVar = registerBuffer("running_var", Tensor.full(1f, numFeatures));
        // PyTorch keeps an int64 scalar; a float holds every count up to 2^24 exactly.
        this.numBatchesTracked = registerBuffer("num_batches_tracked", Tensor.zeros());
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, false);
    }

    /**
     * {@code relu(bn(x))} in one pass: the ReLU that follows every BN but a block's last is
     * applied while the normalised value is written, so no separate ReLU tensor is made.
     * Pair it with {@link #backwardRelu}. The results equal {@code ReLU.forward(forward(x))}
     * bit for bit.
     */
    public Tensor forwardRelu(Tensor x) {
        return forward(x, true);
    }

    private Tensor forward(Tensor x, boolean relu) {
        if (x.rank() != 4 || x.dim(1) != numFeatures) {
            throw new IllegalArgumentException("BatchNorm2d(" + numFeatures + ") expects [N, " + numFeatures
                    + ", H, W], got " + x.shapeString());
        }
        int n = x.dim(0);
        int c = numFeatures;
        int hw = x.dim(2) * x.dim(3);
        float[] xd = x.data();
        if (mean == null || mean.length != c) {
            mean = new float[c];
            invStd = new float[c];
        }
        usedBatchStats = training;
        if (training) {
            long count = (long) n * hw;
            if (count <= 1) {
                throw new IllegalArgumentException("BatchNorm2d in training mode needs more than 1 value per channel, got input "
                        + x.shapeString());
            }
            float[] rm = runningMean.data();
            float[] rv = runningVar.data();
            Parallel.forRange(c, 1, (lo, hi) -> {
                for (int ch = lo; ch < hi; ch++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += Elementwise.sum(xd, (i * c + ch) * hw, hw);
                    }
                    double mu = sum / count;
                    double sq = 0;
                    for (int i = 0; i < n; i++) {
                        sq += Elementwise.sumSquaredDeviation(xd, (i * c + ch) * hw, hw, (float) mu);
                    }
                    double var = sq / count;
                    mean[ch] = (float) mu;
                    invStd[ch] = (float) (1.0 / Math.sqrt(var + eps));
                    rm[ch] = (float) ((1 - momentum) * rm[ch] + momentum * mu);
                    rv[ch] = (float) ((1 - momentum) * rv[ch] + momentum * sq / (count - 1));
                }
            });
            numBatchesTracked.data()[0] += 1f;
        } else {
            float[] rm = runningMean.data();
            float[] rv = runningVar.data();
            for (int ch = 0; ch < c; ch++) {
                mean[ch] = rm[ch];
                invStd[ch] = (float) (1.0 / Math.sqrt(rv[ch] + eps));
            }
        }
        Tensor y = outputBuffer(0, x.shape()); // every element is written
        float[] yd = y.data();
        float[] g = weight.data();
        float[] b = bias.data();
        Parallel.forRange(n * c, 1, (lo, hi) -> {
            for (int nc = lo; nc < hi; nc++) {
                int ch = nc % c;
                float scale = g[ch] * invStd[ch];
                float shift = b[ch] - mean[ch] * scale;
                int base = nc * hw;
                if (relu) {
                    for (int j = 0; j < hw; j++) {
                        yd[base + j] = Math.max(xd[base + j] * scale + shift, 0f);
                    }
                } else {
                    for (int j = 0; j < hw; j++) {
                        yd[base + j] = xd[base + j] * scale + shift;
                    }
                }
            }
        });
        input = x;
        reluOutput = relu ? y : null;
        return y;
    }

    @Override
    public Tensor backward(Tensor gradOutput) {
        return backward(gradOutput, null);
    }

    /**
     * The backward of {@link #forwardRelu}: the gradient is masked where the ReLU's output was
     * not positive (PyTorch's threshold_backward) as it is read, with the same sums, so the
     * result equals {@code backward(reluBackward(g))} bit for bit.
     */
    public Tensor backwardRelu(Tensor gradOutput) {
        if (reluOutput == null) {
            throw new IllegalStateException("backwardRelu needs a forwardRelu before it");
        }
        return backward(gradOutput, reluOutput.data());
    }

    private Tensor backward(Tensor gradOutput, float[] reluOut) {
        int n = input.dim(0);
        int c = numFeatures;
        int hw = input.dim(2) * input.dim(3);
        float[] xd = input.data();
        float[] dy = gradOutput.data();
        Tensor dxT = outputBuffer(1, input.shape()); // every element is written
        float[] dx = dxT.data();
        float[] g = weight.data();
        float[] dg = weight.requiresGrad() ? weight.grad().data() : null;
        float[] db = bias.requiresGrad() ? bias.grad().data() : null;
        long count = (long) n * hw;
        Parallel.forRange(c, 1, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                double sumDy = 0;
                double sumDyDev = 0;
                float mu = mean[ch];
                float is = invStd[ch];
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * hw;
                    if (reluOut == null) {
                        sumDy += Elementwise.sum(dy, base, hw);
                        sumDyDev += Elementwise.sumProductDeviation(dy, xd, base, hw, mu);
                    } else {
                        sumDy += Elementwise.sumMasked(dy, reluOut, base, hw);
                        sumDyDev += Elementwise.sumProductDeviationMasked(dy, reluOut, xd, base, hw, mu);
                    }
                }
                double sumDyXhat = sumDyDev * is;
                if (dg != null) {
                    dg[ch] += (float) sumDyXhat;
                }
                if (db != null) {
                    db[ch] += (float) sumDy;
                }
                float k = g[ch] * is;
                if (usedBatchStats) {
                    float meanDy = (float) (sumDy / count);
                    float meanDyXhat = (float) (sumDyXhat / count);
                    for (int i = 0; i < n; i++) {
                        int base = (i * c + ch) * hw;
                        if (reluOut == null) {
                            for (int j = 0; j < hw; j++) {
                                float xhat = (xd[base + j] - mu) * is;
                                dx[base + j] = k * (dy[base + j] - meanDy - xhat * meanDyXhat);
                            }
                        } else {
                            for (int j = 0; j < hw; j++) {
                                float xhat = (xd[base + j] - mu) * is;
                                float d = Elementwise.masked(dy[base + j], reluOut[base + j]);
                                dx[base + j] = k * (d - meanDy - xhat * meanDyXhat);
                            }
                        }
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        int base = (i * c + ch) * hw;
                        if (reluOut == null) {
                            for (int j = 0; j < hw; j++) {
                                dx[base + j] = k * dy[base + j];
                            }
                        } else {
                            for (int j = 0; j < hw; j++) {
                                dx[base + j] = k * Elementwise.masked(dy[base + j], reluOut[base + j]);
                            }
                        }
                    }
                }
            }
        });
        return dxT;
    }

    @Override
    public String toString() {
        return "BatchNorm2d(" + numFeatures + ", eps=" + eps + ", momentum=" + momentum + ")";
    }
}
