package dev.resnet4j.nn;

import dev.resnet4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Base of every layer: a forward and a backward side by side, named children, parameters and
 * buffers.
 *
 * <p>Names are PyTorch's: a module registers its fields under the names torchvision gives
 * them ({@code conv1}, {@code bn1}, {@code downsample}, ...), so {@link #stateDict()} yields
 * exactly torchvision's keys without a mapping table. Order follows PyTorch too: own
 * parameters, own buffers, then children in registration order.
 *
 * <p>{@link #forward} keeps what {@link #backward} needs (inputs, masks, batch statistics);
 * {@link #backward} takes the gradient of the loss with respect to the output, accumulates
 * parameter gradients into {@link Parameter#grad()} and returns the gradient with respect to
 * the input. Backward must follow the forward whose state it uses.
 *
 * <pre>{@code
 * model.train(true);                               // batch statistics; keep state for backward
 * model.zeroGrad();
 * Tensor logits = model.forward(images);
 * CrossEntropyLoss loss = new CrossEntropyLoss();
 * double l = loss.forward(logits, labels);
 * model.backward(loss.backward());                 // gradients now in model.parameters()
 *
 * Map<String, Tensor> state = model.stateDict();   // torchvision's keys
 * Module.LoadReport r = other.loadStateDict(state, false);
 * }</pre>
 *
 * <p>A subclass registers its children, parameters and buffers in its constructor with
 * {@link #registerModule}, {@link #registerParameter} and {@link #registerBuffer}, under the
 * names PyTorch uses for the same fields.
 */
public abstract class Module {
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    protected boolean training = true;
    private boolean reuseBuffers;
    private Tensor[] outputs = new Tensor[0];

    /** Computes the output; in training mode also keeps what backward needs. */
    public abstract Tensor forward(Tensor x);

    /** Gradient w.r.t. the input, given the gradient w.r.t. the output of the last forward. */
    public abstract Tensor backward(Tensor gradOutput);

    /** Output shape for an input shape, without computing anything (used by summaries). */
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        children.put(name, module);
        return module;
    }

    protected final Parameter registerParameter(String name, Tensor value) {
        Parameter p = new Parameter(value);
        parameters.put(name, p);
        return p;
    }

    protected final Tensor registerBuffer(String name, Tensor value) {
        buffers.put(name, value);
        return value;
    }

    /** Replaces a buffer's tensor object (for buffers a module reassigns). */
    protected final void setBuffer(String name, Tensor value) {
        if (!buffers.containsKey(name)) {
            throw new IllegalArgumentException("no buffer " + name);
        }
        buffers.put(name, value);
    }

    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Sets training (true) or evaluation (false) mode on this module and all below it. */
    public Module train(boolean on) {
        training = on;
        for (Module m : children.values()) {
            m.train(on);
        }
        stateChanged();
        return this;
    }

    /**
     * Turns on (or off) the reuse of this module's and its descendants' output and gradient
     * tensors from one call to the next, as a training loop wants: after the first step of a
     * given batch shape, forward and backward allocate nothing large. The price is aliasing:
     * a tensor an inner module returned is overwritten by its next call, so do not keep the
     * intermediate activations or gradients of one step into the next. The network's final
     * output (a {@link Linear}'s) is always a fresh tensor. Off by default; the trainer and
     * {@code resnet bench --train} turn it on.
     */
    public Module reuseBuffers(boolean on) {
        reuseBuffers = on;
        if (!on) {
            outputs = new Tensor[0];
        }
        for (Module m : children.values()) {
            m.reuseBuffers(on);
        }
        return this;
    }

    /**
     * A tensor of {@code shape} for this module's result number {@code slot}. With
     * {@link #reuseBuffers} on, it is the same tensor as the last call's when the shape is
     * unchanged, still holding that call's values: the caller must write every element.
     * Otherwise a new zero tensor.
     */
    protected final Tensor outputBuffer(int slot, int... shape) {
        if (!reuseBuffers) {
            return Tensor.zeros(shape);
        }
        if (outputs.length <= slot) {
            outputs = java.util.Arrays.copyOf(outputs, slot + 1);
        }
        outputs[slot] = Tensor.reuseOrZeros(outputs[slot], shape);
        return outputs[slot];
    }

    /** As {@link #outputBuffer}, but zero-filled when reused: for results built by accumulation. */
    protected final Tensor zeroedOutputBuffer(int slot, int... shape) {
        Tensor t = outputBuffer(slot, shape);
        if (reuseBuffers) {
            java.util.Arrays.fill(t.data(), 0f);
        }
        return t;
    }

    /**
     * Called after the mode changes or a state dict is loaded: modules that cache something
     * derived from their weights (the folded inference plan of a ResNet) drop it here.
     */
    protected void stateChanged() {
    }

    public final Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** All parameters with their dotted names, in PyTorch's order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Parameter> out) {
        parameters.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collectParameters(prefix + k + ".", out));
    }

    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** All modules with their dotted names ("" for this one), depth first, as PyTorch's named_modules. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String name, Map<String, Module> out) {
        out.put(name, this);
        children.forEach((k, m) -> m.collectModules(name.isEmpty() ? k : name + "." + k, out));
    }

    /**
     * The state dict: parameters and buffers by torchvision's names. The tensors are the live
     * ones (not copies); writers must not modify them.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState("", out);
        return out;
    }

    private void collectState(String prefix, Map<String, Tensor> out) {
        parameters.forEach((k, v) -> out.put(prefix + k, v.value()));
        buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collectState(prefix + k + ".", out));
    }

    /** What a load skipped: missing keys, unexpected keys and keys whose shapes differ. */
    public record LoadReport(List<String> missing, List<String> unexpected, List<String> mismatched) {
        public boolean clean() {
            return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
        }

        @Override
        public String toString() {
            if (clean()) {
                return "all keys loaded";
            }
            StringBuilder sb = new StringBuilder();
            if (!missing.isEmpty()) {
                sb.append("missing (kept as initialised): ").append(missing).append('\n');
            }
            if (!unexpected.isEmpty()) {
                sb.append("unexpected (ignored): ").append(unexpected).append('\n');
            }
            if (!mismatched.isEmpty()) {
                sb.append("shape mismatch (kept as initialised): ").append(mismatched).append('\n');
            }
            return sb.toString().strip();
        }
    }

    /**
     * Copies values from {@code state} into this module's parameters and buffers.
     *
     * @param strict if true, any missing, unexpected or wrongly shaped key throws an
     *               {@link IllegalArgumentException} naming the key (and both shapes);
     *               if false, such keys are skipped and reported.
     */
    public final LoadReport loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!shapesMatch(e.getValue().shape(), src.shape())) {
                mismatched.add(e.getKey() + ": checkpoint " + src.shapeString() + ", model " + e.getValue().shapeString());
            }
        }
        Set<String> ownKeys = new LinkedHashSet<>(own.keySet());
        for (String k : state.keySet()) {
            if (!ownKeys.contains(k)) {
                unexpected.add(k);
            }
        }
        if (strict) {
            if (!mismatched.isEmpty()) {
                throw new IllegalArgumentException("size mismatch for " + mismatched.get(0));
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("missing key " + missing.get(0) + " (shape "
                        + own.get(missing.get(0)).shapeString() + ")" + (missing.size() > 1 ? " and " + (missing.size() - 1) + " more" : ""));
            }
            if (!unexpected.isEmpty()) {
                throw new IllegalArgumentException("unexpected key " + unexpected.get(0) + " (shape "
                        + state.get(unexpected.get(0)).shapeString() + ")" + (unexpected.size() > 1 ? " and " + (unexpected.size() - 1) + " more" : ""));
            }
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null && shapesMatch(e.getValue().shape(), src.shape())) {
                e.getValue().copyFrom(src);
            }
        }
        stateChanged();
        return new LoadReport(missing, unexpected, mismatched);
    }

    private static boolean shapesMatch(int[] a, int[] b) {
        // PyTorch stores num_batches_tracked as a 0-d tensor; accept [] and [1] alike.
        if (Tensor.numel(a) == 1 && Tensor.numel(b) == 1 && a.length <= 1 && b.length <= 1) {
            return true;
        }
        return Arrays.equals(a, b);
    }

    /** Zeroes every parameter's gradient. */
    public final void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    /** Total number of learnable values. */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.size();
        }
        return n;
    }
}
