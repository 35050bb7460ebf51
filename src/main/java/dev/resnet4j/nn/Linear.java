package dev.resnet4j.nn;

import dev.resnet4j.kernels.Gemm;
import dev.resnet4j.tensor.Tensor;

/** PyTorch's {@code nn.Linear}: y = x·Wᵀ + b with weight [out, in]. */
public final class Linear extends Module {
    public final int inFeatures;
    public final int outFeatures;
    public final Parameter weight;
    public final Parameter bias;
    private Tensor input;

    public Linear(int inFeatures, int outFeatures) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", Tensor.zeros(outFeatures, inFeatures));
        this.bias = registerParameter("bias", Tensor.zeros(outFeatures));
    }

    /** PyTorch's default: kaiming_uniform(a=√5) for the weight, which is U(±1/√fan_in), and the same bound for the bias. */
    public void resetParameters(Init init) {
        double bound = 1.0 / Math.sqrt(inFeatures);
        init.uniform(weight.value(), -bound, bound);
        init.uniform(bias.value(), -bound, bound);
    }

    @Override
    public int[] outputShape(int[] in) {
        return new int[]{in[0], outFeatures};
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 2 || x.dim(1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + ", " + outFeatures + ") expects [N, " + inFeatures
                    + "], got " + x.shapeString());
        }
        int n = x.dim(0);
        Tensor y = Tensor.zeros(n, outFeatures);
        float[] yd = y.data();
        float[] b = bias.data();
        for (int i = 0; i < n; i++) {
            System.arraycopy(b, 0, yd, i * outFeatures, outFeatures);
        }
        Gemm.sgemm(false, true, n, outFeatures, inFeatures, x.data(), 0, inFeatures, weight.data(), 0, inFeatures,
                yd, 0, outFeatures, true);
        input = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor gradOutput) {
        int n = input.dim(0);
        float[] g = gradOutput.data();
        if (weight.requiresGrad()) {
            Gemm.sgemm(true, false, outFeatures, inFeatures, n, g, 0, outFeatures, input.data(), 0, inFeatures,
                    weight.grad().data(), 0, inFeatures, true);
        }
        if (bias.requiresGrad()) {
            float[] db = bias.grad().data();
            for (int o = 0; o < outFeatures; o++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += g[i * outFeatures + o];
                }
                db[o] += (float) s;
            }
        }
        Tensor dx = Tensor.zeros(n, inFeatures);
        Gemm.sgemm(false, false, n, inFeatures, outFeatures, g, 0, outFeatures, weight.data(), 0, inFeatures,
                dx.data(), 0, inFeatures, false);
        return dx;
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=True)";
    }
}
