package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;

/**
 * A learnable tensor and its gradient. The value is updated in place by optimisers, so
 * references held by modules and optimisers stay valid.
 */
public final class Parameter {
    private final Tensor value;
    private Tensor grad;
    private boolean requiresGrad = true;

    public Parameter(Tensor value) {
        this.value = value;
    }

    public Tensor value() {
        return value;
    }

    public float[] data() {
        return value.data();
    }

    /** The accumulated gradient, allocated (zero) on first use. */
    public Tensor grad() {
        if (grad == null) {
            grad = Tensor.zeros(value.shape());
        }
        return grad;
    }

    public boolean hasGrad() {
        return grad != null;
    }

    public void zeroGrad() {
        if (grad != null) {
            grad.fill(0f);
        }
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public void setRequiresGrad(boolean requiresGrad) {
        this.requiresGrad = requiresGrad;
    }

    public int[] shape() {
        return value.shape();
    }

    public int size() {
        return value.size();
    }
}
