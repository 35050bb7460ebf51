package dev.resnet4j.optim;

import dev.resnet4j.nn.Parameter;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Adam with optional L2 weight decay and AMSGrad: PyTorch 1.13's {@code torch.optim.Adam}
 * with {@code foreach=False} ({@code _single_tensor_adam}). {@link AdamW} reuses it with
 * decoupled weight decay.
 *
 * <pre>
 *   t = t + 1                               (per parameter: a parameter skipped because it had
 *                                            no gradient does not advance its own t)
 *   g = g + weightDecay * w                 (Adam)     |  w = w * (1 - lr * weightDecay)  (AdamW)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   vHat = amsgrad ? (vMax = max(vMax, v)) : v
 *   denom = sqrt(vHat) / sqrt(1 - beta2^t) + eps
 *   w = w - lr / (1 - beta1^t) * m / denom
 * </pre>
 *
 * The scalar factors are computed in double and rounded to float32 where PyTorch passes them to
 * a kernel; each {@code a + alpha * b} and {@code a + value * b * c} is one fused multiply-add,
 * as PyTorch's AVX2 CPU kernels do. State: {@code <name>.step}, {@code <name>.exp_avg},
 * {@code <name>.exp_avg_sq} and, with AMSGrad, {@code <name>.max_exp_avg_sq}.
 */
public class Adam extends Optimizer {
    private static final String STEP = "step";
    private static final String EXP_AVG = "exp_avg";
    private static final String EXP_AVG_SQ = "exp_avg_sq";
    private static final String MAX_EXP_AVG_SQ = "max_exp_avg_sq";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean amsgrad;
    private final boolean decoupled;
    private final int[] steps;
    private final float[][] expAvg;
    private final float[][] expAvgSq;
    private final float[][] maxExpAvgSq;

    public Adam(Map<String, Parameter> params, double lr, double beta1, double beta2, double eps,
                double weightDecay, boolean amsgrad) {
        this(params, lr, beta1, beta2, eps, weightDecay, amsgrad, false);
    }

    public Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps,
                double weightDecay, boolean amsgrad) {
        this(indexed(params), lr, beta1, beta2, eps, weightDecay, amsgrad, false);
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(Map<String, Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    protected Adam(Map<String, Parameter> params, double lr, double beta1, double beta2, double eps,
                   double weightDecay, boolean amsgrad, boolean decoupled) {
        super(params, lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("eps and weight decay must be >= 0, got " + eps + ", " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.amsgrad = amsgrad;
        this.decoupled = decoupled;
        int n = parameterCount();
        this.steps = new int[n];
        this.expAvg = new float[n][];
        this.expAvgSq = new float[n][];
        this.maxExpAvgSq = new float[n][];
    }

    @Override
    protected void update(int index, float[] w, float[] g) {
        int n = w.length;
        // Checked one by one: a loaded state may hold only some of the buffers.
        if (expAvg[index] == null) {
            expAvg[index] = new float[n];
        }
        if (expAvgSq[index] == null) {
            expAvgSq[index] = new float[n];
        }
        if (amsgrad && maxExpAvgSq[index] == null) {
            maxExpAvgSq[index] = new float[n];
        }
        int t = ++steps[index];
        double lr = lr();
        double biasCorrection1 = 1 - Math.pow(beta1, t);
        double biasCorrection2 = 1 - Math.pow(beta2, t);
        float negStepSize = (float) -(lr / biasCorrection1);
        float biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float oneMinusB1 = (float) (1 - beta1);
        float oneMinusB2 = (float) (1 - beta2);
        float epsF = (float) eps;
        float wd = (float) weightDecay;
        float decay = (float) (1 - lr * weightDecay);
        boolean coupledDecay = !decoupled && weightDecay != 0;
        float[] m = expAvg[index];
        float[] v = expAvgSq[index];
        float[] vMax = maxExpAvgSq[index];
        if (!amsgrad && !decoupled && !coupledDecay) {
            // The plain case as its own loop, free of the per-element option tests so the JIT
            // can vectorise it; the same operations in the same order as the general loop.
            Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    float gj = g[j];
                    float mj = Math.fma(gj, oneMinusB1, m[j] * b1);
                    float vj = Math.fma(oneMinusB2 * gj, gj, v[j] * b2);
                    m[j] = mj;
                    v[j] = vj;
                    float denom = (float) Math.sqrt(vj) / biasCorrection2Sqrt + epsF;
                    w[j] = w[j] + negStepSize * mj / denom;
                }
            });
            return;
        }
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            for (int j = lo; j < hi; j++) {
                float gj = coupledDecay ? Math.fma(w[j], wd, g[j]) : g[j];
                float wj = decoupled ? w[j] * decay : w[j];
                float mj = Math.fma(gj, oneMinusB1, m[j] * b1);
                float vj = Math.fma(oneMinusB2 * gj, gj, v[j] * b2);
                m[j] = mj;
                v[j] = vj;
                if (amsgrad) {
                    vj = Math.max(vMax[j], vj);
                    vMax[j] = vj;
                }
                float denom = (float) Math.sqrt(vj) / biasCorrection2Sqrt + epsF;
                w[j] = wj + negStepSize * mj / denom;
            }
        });
    }

    @Override
    protected List<String> bufferNames() {
        return List.of(STEP, EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ);
    }

    @Override
    protected boolean isCounter(String buffer) {
        return buffer.equals(STEP);
    }

    @Override
    protected Tensor buffer(int index, String buffer) {
        return switch (buffer) {
            case STEP -> expAvg[index] == null && steps[index] == 0 ? null : scalar(steps[index]);
            case EXP_AVG -> copy(expAvg[index], index);
            case EXP_AVG_SQ -> copy(expAvgSq[index], index);
            case MAX_EXP_AVG_SQ -> copy(maxExpAvgSq[index], index);
            default -> throw new IllegalArgumentException("no Adam buffer " + buffer);
        };
    }

    private Tensor copy(float[] values, int index) {
        return values == null ? null : new Tensor(values.clone(), shapeOf(index));
    }

    @Override
    protected void setBuffer(int index, String buffer, Tensor value) {
        switch (buffer) {
            case STEP -> steps[index] = (int) value.data()[0];
            case EXP_AVG -> expAvg[index] = value.data().clone();
            case EXP_AVG_SQ -> expAvgSq[index] = value.data().clone();
            case MAX_EXP_AVG_SQ -> maxExpAvgSq[index] = value.data().clone();
            default -> throw new IllegalArgumentException("no Adam buffer " + buffer);
        }
    }

    @Override
    protected void clearState(int index) {
        steps[index] = 0;
        expAvg[index] = null;
        expAvgSq[index] = null;
        maxExpAvgSq[index] = null;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double eps() {
        return eps;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public boolean amsgrad() {
        return amsgrad;
    }
}
