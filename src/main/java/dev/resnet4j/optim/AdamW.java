package dev.resnet4j.optim;

import dev.resnet4j.nn.Parameter;

import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): PyTorch 1.13's
 * {@code torch.optim.AdamW} with {@code foreach=False}. The weights shrink by
 * {@code w *= 1 - lr * weightDecay} before the Adam update, and the gradient is left alone;
 * everything else is {@link Adam}.
 */
public final class AdamW extends Adam {

    public AdamW(Map<String, Parameter> params, double lr, double beta1, double beta2, double eps,
                 double weightDecay, boolean amsgrad) {
        super(params, lr, beta1, beta2, eps, weightDecay, amsgrad, true);
    }

    public AdamW(List<Parameter> params, double lr, double beta1, double beta2, double eps,
                 double weightDecay, boolean amsgrad) {
        super(indexed(params), lr, beta1, beta2, eps, weightDecay, amsgrad, true);
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(Map<String, Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.01, false);
    }
}
