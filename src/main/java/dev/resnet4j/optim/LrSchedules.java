package dev.resnet4j.optim;

import java.util.Locale;

/**
 * The learning-rate schedules, each equal to a PyTorch 1.13 scheduler used the common way:
 * per-epoch schedulers stepped once after each epoch, {@code OneCycleLR} once after each
 * optimiser step. "Epoch e" and "step s" are 0-based, so the first epoch trains at the base
 * learning rate as in PyTorch.
 *
 * <table>
 *   <caption>Schedules and the PyTorch schedulers they match</caption>
 *   <tr><th>name</th><th>factory</th><th>PyTorch</th></tr>
 *   <tr><td>constant</td><td>{@link #constant}</td><td>no scheduler</td></tr>
 *   <tr><td>step</td><td>{@link #step}</td><td>{@code StepLR(opt, step_size, gamma)}, per epoch</td></tr>
 *   <tr><td>cosine</td><td>{@link #cosine}</td><td>{@code CosineAnnealingLR(opt, T_max, eta_min=0)}, per epoch</td></tr>
 *   <tr><td>onecycle</td><td>{@link #oneCycle(double, int)}</td><td>{@code OneCycleLR(opt, max_lr, total_steps,
 *       pct_start=0.3, anneal_strategy='cos', div_factor=25, final_div_factor=1e4, three_phase=False,
 *       cycle_momentum=False)}, per step</td></tr>
 *   <tr><td>onecycle-linear</td><td>{@link #oneCycle(double, int, double, double, double, boolean)} with
 *       {@code linearWarmup}</td><td>no single scheduler: {@code OneCycleLR(anneal_strategy='linear')} during
 *       the warm-up, {@code OneCycleLR(anneal_strategy='cos')} after it (same phases)</td></tr>
 * </table>
 *
 * Step and cosine use the closed forms ({@code _get_closed_form_lr}); PyTorch's recursive
 * {@code get_lr} agrees with them to about 1e-15 relative. Only the learning rate is
 * scheduled: {@code cycle_momentum=False} is the OneCycleLR setting matched.
 *
 * <p>See {@code docs/optim.md} for the CLI names and defaults.
 */
public final class LrSchedules {
    /** OneCycleLR's defaults. */
    public static final double ONE_CYCLE_PCT_START = 0.3;
    public static final double ONE_CYCLE_DIV_FACTOR = 25;
    public static final double ONE_CYCLE_FINAL_DIV_FACTOR = 1e4;

    private LrSchedules() {
    }

    /** The same learning rate throughout. */
    public static LrSchedule constant(double lr) {
        requireLr(lr);
        return (epoch, step, stepsPerEpoch) -> lr;
    }

    /** {@code StepLR}: {@code baseLr * gamma^(epoch / stepSize)}, integer division. */
    public static LrSchedule step(double baseLr, int stepSize, double gamma) {
        requireLr(baseLr);
        if (stepSize <= 0 || !(gamma > 0)) {
            throw new IllegalArgumentException("step schedule needs stepSize > 0 and gamma > 0, got "
                    + stepSize + ", " + gamma);
        }
        return (epoch, step, stepsPerEpoch) -> baseLr * Math.pow(gamma, epoch / stepSize);
    }

    /**
     * {@code CosineAnnealingLR} with {@code eta_min = 0}, per epoch:
     * {@code baseLr * (1 + cos(pi * epoch / tMax)) / 2}. Past {@code tMax} it rises again,
     * as PyTorch's does.
     */
    public static LrSchedule cosine(double baseLr, int tMax) {
        requireLr(baseLr);
        if (tMax <= 0) {
            throw new IllegalArgumentException("cosine schedule needs tMax > 0 epochs, got " + tMax);
        }
        return (epoch, step, stepsPerEpoch) -> baseLr * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
    }

    /** {@code OneCycleLR} with PyTorch's defaults (cosine warm-up and annealing). */
    public static LrSchedule oneCycle(double maxLr, int totalSteps) {
        return oneCycle(maxLr, totalSteps, ONE_CYCLE_PCT_START, ONE_CYCLE_DIV_FACTOR,
                ONE_CYCLE_FINAL_DIV_FACTOR, false);
    }

    /**
     * {@code OneCycleLR} (two phases), per optimiser step {@code s = epoch * stepsPerEpoch +
     * stepInEpoch}: from {@code maxLr / divFactor} up to {@code maxLr} over the first
     * {@code pctStart * totalSteps} steps, then down to {@code maxLr / divFactor /
     * finalDivFactor} at step {@code totalSteps - 1}. Both phases are cosine, as
     * {@code anneal_strategy='cos'}; with {@code linearWarmup} the first phase is linear
     * ({@code anneal_strategy='linear'}'s formula) and the second stays cosine. Like PyTorch,
     * asking for a step beyond {@code totalSteps} throws.
     */
    public static LrSchedule oneCycle(double maxLr, int totalSteps, double pctStart, double divFactor,
                                      double finalDivFactor, boolean linearWarmup) {
        requireLr(maxLr);
        if (totalSteps <= 0) {
            throw new IllegalArgumentException("one-cycle schedule needs totalSteps > 0, got " + totalSteps);
        }
        if (!(pctStart >= 0 && pctStart <= 1)) {
            throw new IllegalArgumentException("pctStart must be in [0, 1], got " + pctStart);
        }
        double initialLr = maxLr / divFactor;
        double minLr = initialLr / finalDivFactor;
        // Phase boundaries exactly as OneCycleLR computes them (the first is fractional).
        double warmupEnd = pctStart * totalSteps - 1;
        double end = totalSteps - 1;
        return (epoch, stepInEpoch, stepsPerEpoch) -> {
            long s = (long) epoch * stepsPerEpoch + stepInEpoch;
            if (s > totalSteps) {
                throw new IllegalArgumentException("one-cycle schedule asked for step " + s + " but has "
                        + totalSteps + " steps; give it epochs * stepsPerEpoch total steps");
            }
            if (s <= warmupEnd) {
                double pct = s / warmupEnd;
                return linearWarmup ? annealLinear(initialLr, maxLr, pct) : annealCos(initialLr, maxLr, pct);
            }
            return annealCos(maxLr, minLr, (s - warmupEnd) / (end - warmupEnd));
        };
    }

    /**
     * The schedule named on the command line, with optional parameters after colons:
     * {@code constant}, {@code step[:stepSize[:gamma]]} (default: a third of the epochs, 0.1),
     * {@code cosine[:tMax]} (default: all epochs), {@code onecycle[:pctStart]} and
     * {@code onecycle-linear[:pctStart]} (total steps: epochs * stepsPerEpoch; {@code lr} is the
     * peak). {@code lr} is the base learning rate.
     */
    public static LrSchedule parse(String spec, double lr, int epochs, int stepsPerEpoch) {
        String[] parts = spec.trim().toLowerCase(Locale.ROOT).split(":");
        String name = parts[0];
        try {
            switch (name) {
                case "constant":
                    requireArgs(spec, parts, 0);
                    return constant(lr);
                case "step":
                    requireArgs(spec, parts, 2);
                    int stepSize = parts.length > 1 ? Integer.parseInt(parts[1]) : Math.max(1, epochs / 3);
                    double gamma = parts.length > 2 ? Double.parseDouble(parts[2]) : 0.1;
                    return step(lr, stepSize, gamma);
                case "cosine":
                    requireArgs(spec, parts, 1);
                    return cosine(lr, parts.length > 1 ? Integer.parseInt(parts[1]) : epochs);
                case "onecycle":
                case "onecycle-linear":
                    requireArgs(spec, parts, 1);
                    double pct = parts.length > 1 ? Double.parseDouble(parts[1]) : ONE_CYCLE_PCT_START;
                    return oneCycle(lr, Math.multiplyExact(epochs, stepsPerEpoch), pct, ONE_CYCLE_DIV_FACTOR,
                            ONE_CYCLE_FINAL_DIV_FACTOR, name.equals("onecycle-linear"));
                default:
                    throw new IllegalArgumentException("unknown learning-rate schedule '" + spec
                            + "'; use constant, step[:stepSize[:gamma]], cosine[:tMax], onecycle[:pctStart]"
                            + " or onecycle-linear[:pctStart]");
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in learning-rate schedule '" + spec + "': "
                    + e.getMessage(), e);
        }
    }

    // OneCycleLR._annealing_cos, same operation order.
    private static double annealCos(double start, double end, double pct) {
        double cosOut = Math.cos(Math.PI * pct) + 1;
        return end + (start - end) / 2.0 * cosOut;
    }

    // OneCycleLR._annealing_linear.
    private static double annealLinear(double start, double end, double pct) {
        return (end - start) * pct + start;
    }

    private static void requireArgs(String spec, String[] parts, int max) {
        if (parts.length - 1 > max) {
            throw new IllegalArgumentException("learning-rate schedule '" + spec + "' takes at most " + max
                    + " parameter(s)");
        }
    }

    private static void requireLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
    }
}
