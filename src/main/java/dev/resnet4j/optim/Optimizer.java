package dev.resnet4j.optim;

import dev.resnet4j.nn.Parameter;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters in place from their gradients, the way {@code torch.optim} does with one
 * parameter group and {@code foreach=False}.
 *
 * <p>Each {@link #step()} visits the parameters in order and skips those with
 * {@code requiresGrad() == false} (a frozen backbone) and those whose gradient was never
 * allocated (PyTorch's {@code p.grad is None}); {@link #zeroGrad()} zero-fills gradients but
 * keeps them allocated, like PyTorch 1.13's {@code zero_grad(set_to_none=False)}, so a
 * parameter with an all-zero gradient is still stepped (weight decay, momentum).
 *
 * <p>Parameters are named so the state can be saved and restored by name:
 * {@link #state()} returns keys {@code <paramName>.<buffer>} in parameter order plus
 * {@code step}, the number of calls to {@link #step()}. The learning rate is not part of the
 * state: a schedule sets it with {@link #setLr(double)} before each step.
 *
 * <p>Why the results equal PyTorch's bit for bit, and the state keys: {@code docs/optim.md}.
 */
public abstract class Optimizer {
    /** State key of the global step counter. */
    public static final String STEP_KEY = "step";

    private final List<String> names;
    private final List<Parameter> params;
    private double lr;
    private int stepCount;

    /** Named parameters, e.g. {@code model.namedParameters()}; their order is the update order. */
    protected Optimizer(Map<String, Parameter> params, double lr) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        this.names = List.copyOf(params.keySet());
        this.params = List.copyOf(params.values());
        setLr(lr);
    }

    /** Names the parameters "0", "1", ... as PyTorch's optimizer state dict does. */
    protected static Map<String, Parameter> indexed(List<Parameter> params) {
        Map<String, Parameter> named = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            named.put(Integer.toString(i), params.get(i));
        }
        return named;
    }

    /** Applies one update to every trainable parameter that has a gradient. */
    public final void step() {
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            if (p.requiresGrad() && p.hasGrad()) {
                update(i, p.data(), p.grad().data());
            }
        }
        stepCount++;
    }

    /**
     * Updates parameter {@code index} in place: {@code w} is its value, {@code g} its gradient.
     * Called at most once per {@link #step()} and only for parameters that are stepped.
     */
    protected abstract void update(int index, float[] w, float[] g);

    /**
     * Parameters with at least this many elements are updated by all workers, each on its own
     * range ({@link Parallel#forRange}); the update is element-wise, so the result does not
     * depend on the split.
     */
    protected static final int PARALLEL_MIN = 1 << 16;

    /** Zero-fills every allocated gradient (frozen ones included). */
    public final void zeroGrad() {
        for (Parameter p : params) {
            p.zeroGrad();
        }
    }

    public final double lr() {
        return lr;
    }

    public final void setLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        this.lr = lr;
    }

    /** Number of {@link #step()} calls so far (restored by {@link #loadState}). */
    public final int stepCount() {
        return stepCount;
    }

    public final List<String> parameterNames() {
        return names;
    }

    public final List<Parameter> parameters() {
        return params;
    }

    /**
     * A copy of the optimiser state: {@code step} (a one-element tensor) and, per parameter
     * that has state, {@code <name>.<buffer>} with the parameter's shape (or one element for
     * per-parameter counters). Counters are stored as float32, exact up to 2^24 steps.
     */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(STEP_KEY, scalar(stepCount));
        for (int i = 0; i < params.size(); i++) {
            for (String buffer : bufferNames()) {
                Tensor t = buffer(i, buffer);
                if (t != null) {
                    out.put(names.get(i) + "." + buffer, t);
                }
            }
        }
        return out;
    }

    /**
     * Restores a state saved by {@link #state()} of the same optimiser type over parameters of
     * the same names and shapes. State absent for a parameter means "not stepped yet". Throws
     * {@link IllegalArgumentException} on unknown keys or wrong shapes, before changing anything.
     */
    public final void loadState(Map<String, Tensor> state) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
        List<String> buffers = bufferNames();
        List<Loaded> accepted = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            if (key.equals(STEP_KEY)) {
                requireOneElement(key, e.getValue());
                continue;
            }
            int dot = key.lastIndexOf('.');
            Integer i = dot < 0 ? null : index.get(key.substring(0, dot));
            String buffer = dot < 0 ? null : key.substring(dot + 1);
            if (i == null || !buffers.contains(buffer)) {
                throw new IllegalArgumentException("unexpected optimizer state key " + key + " for "
                        + getClass().getSimpleName() + " (buffers " + buffers + ")");
            }
            boolean fits = isCounter(buffer) ? e.getValue().size() == 1
                    : e.getValue().sameShape(params.get(i).value());
            if (!fits) {
                throw new IllegalArgumentException("optimizer state " + key + " has shape "
                        + e.getValue().shapeString() + " but parameter " + names.get(i) + " has shape "
                        + params.get(i).value().shapeString());
            }
            accepted.add(new Loaded(i, buffer, e.getValue()));
        }
        for (int i = 0; i < params.size(); i++) {
            clearState(i);
        }
        for (Loaded a : accepted) {
            setBuffer(a.index(), a.buffer(), a.value());
        }
        Tensor step = state.get(STEP_KEY);
        stepCount = step == null ? 0 : (int) step.data()[0];
    }

    /** Names of the per-parameter buffers this optimiser keeps, e.g. {@code momentum_buffer}. */
    protected abstract List<String> bufferNames();

    /** True for buffers holding one counter instead of one value per parameter element. */
    protected boolean isCounter(String buffer) {
        return false;
    }

    /** A copy of buffer {@code buffer} of parameter {@code index}, or null if it has none yet. */
    protected abstract Tensor buffer(int index, String buffer);

    /** Replaces buffer {@code buffer} of parameter {@code index} with a copy of {@code value}. */
    protected abstract void setBuffer(int index, String buffer, Tensor value);

    /** Forgets all state of parameter {@code index}, as if it had never been stepped. */
    protected abstract void clearState(int index);

    /** Shape of parameter {@code index}, for the buffers handed out by {@link #buffer}. */
    protected final int[] shapeOf(int index) {
        return params.get(index).shape();
    }

    protected final int sizeOf(int index) {
        return params.get(index).size();
    }

    protected final int parameterCount() {
        return params.size();
    }

    protected static Tensor scalar(float v) {
        return new Tensor(new float[] {v}, 1);
    }

    private record Loaded(int index, String buffer, Tensor value) {
    }

    private static void requireOneElement(String key, Tensor t) {
        if (t.size() != 1) {
            throw new IllegalArgumentException("optimizer state " + key + " must have one element, got "
                    + t.shapeString());
        }
    }
}
