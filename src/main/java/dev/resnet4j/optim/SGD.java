package dev.resnet4j.optim;

import dev.resnet4j.nn.Parameter;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
 * weight decay: PyTorch 1.13's {@code torch.optim.SGD} ({@code _single_tensor_sgd}).
 *
 * <pre>
 *   d = g + weightDecay * w
 *   buf = d                                         (first step of this parameter)
 *   buf = momentum * buf + (1 - dampening) * d      (later steps)
 *   d = nesterov ? d + momentum * buf : buf         (only when momentum != 0)
 *   w = w - lr * d
 * </pre>
 *
 * Rounding follows PyTorch's CPU kernels: each {@code a + alpha * b} is one fused
 * multiply-add with {@code alpha} rounded to float32, and {@code buf * momentum} is rounded
 * before it is added. State: {@code <name>.momentum_buffer} (only with momentum).
 */
public final class SGD extends Optimizer {
    private static final String MOMENTUM_BUFFER = "momentum_buffer";

    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private final float[][] buffers;

    public SGD(Map<String, Parameter> params, double lr, double momentum, double dampening,
               double weightDecay, boolean nesterov) {
        super(params, lr);
        if (momentum < 0 || dampening < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("momentum, dampening and weight decay must be >= 0, got "
                    + momentum + ", " + dampening + ", " + weightDecay);
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 and dampening 0");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.buffers = new float[parameterCount()][];
    }

    public SGD(List<Parameter> params, double lr, double momentum, double dampening,
               double weightDecay, boolean nesterov) {
        this(indexed(params), lr, momentum, dampening, weightDecay, nesterov);
    }

    /** Momentum SGD without dampening or Nesterov, the usual ResNet recipe. */
    public SGD(Map<String, Parameter> params, double lr, double momentum, double weightDecay) {
        this(params, lr, momentum, 0, weightDecay, false);
    }

    /** Plain SGD. */
    public SGD(Map<String, Parameter> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    @Override
    protected void update(int index, float[] w, float[] g) {
        float wd = (float) weightDecay;
        float negLr = (float) -lr();
        int n = w.length;
        boolean decay = weightDecay != 0;
        if (momentum == 0) {
            Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    float d = decay ? Math.fma(w[j], wd, g[j]) : g[j];
                    w[j] = Math.fma(d, negLr, w[j]);
                }
            });
            return;
        }
        float mom = (float) momentum;
        float keep = (float) (1 - dampening);
        if (buffers[index] == null) {
            // First step of this parameter: the buffer starts as a copy of d, as in PyTorch.
            float[] buf = new float[n];
            buffers[index] = buf;
            Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    float d = decay ? Math.fma(w[j], wd, g[j]) : g[j];
                    buf[j] = d;
                    w[j] = Math.fma(nesterov ? Math.fma(d, mom, d) : d, negLr, w[j]);
                }
            });
            return;
        }
        float[] buf = buffers[index];
        Parallel.forRange(n, PARALLEL_MIN, (lo, hi) -> {
            for (int j = lo; j < hi; j++) {
                float d = decay ? Math.fma(w[j], wd, g[j]) : g[j];
                float b = Math.fma(d, keep, buf[j] * mom);
                buf[j] = b;
                w[j] = Math.fma(nesterov ? Math.fma(b, mom, d) : b, negLr, w[j]);
            }
        });
    }

    @Override
    protected List<String> bufferNames() {
        return List.of(MOMENTUM_BUFFER);
    }

    @Override
    protected Tensor buffer(int index, String buffer) {
        return buffers[index] == null ? null : new Tensor(buffers[index].clone(), shapeOf(index));
    }

    @Override
    protected void setBuffer(int index, String buffer, Tensor value) {
        buffers[index] = value.data().clone();
    }

    @Override
    protected void clearState(int index) {
        buffers[index] = null;
    }

    public double momentum() {
        return momentum;
    }

    public double dampening() {
        return dampening;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public boolean nesterov() {
        return nesterov;
    }
}
