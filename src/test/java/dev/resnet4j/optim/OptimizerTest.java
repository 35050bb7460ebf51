package dev.resnet4j.optim;

import dev.resnet4j.nn.Parameter;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour shared by all optimisers: skipping, zeroing, state round trips and errors. */
class OptimizerTest {
    static final List<Function<Map<String, Parameter>, Optimizer>> ALL = List.of(
            p -> new SGD(p, 0.1),
            p -> new SGD(p, 0.1, 0.9, 0, 5e-4, true),
            p -> new Adam(p, 1e-3),
            p -> new Adam(p, 1e-3, 0.9, 0.999, 1e-8, 1e-2, true),
            p -> new AdamW(p, 1e-3));

    static Map<String, Parameter> params() {
        Map<String, Parameter> params = new LinkedHashMap<>();
        params.put("a", new Parameter(new Tensor(new float[] {1f, -2f, 3f, 0.5f}, 2, 2)));
        params.put("b", new Parameter(new Tensor(new float[] {0.25f, -1f, 4f}, 3)));
        return params;
    }

    static void setGrads(Map<String, Parameter> params, float scale) {
        for (Parameter p : params.values()) {
            float[] g = p.grad().data();
            for (int i = 0; i < g.length; i++) {
                g[i] = scale * (i + 1) * (i % 2 == 0 ? 1 : -1);
            }
        }
    }

    @Test
    void largeParametersSplitOverWorkersGiveTheSameBits() {
        // above Optimizer.PARALLEL_MIN elements the update runs on all workers; it must equal
        // the one-thread update exactly, for every optimiser and option set
        int n = Optimizer.PARALLEL_MIN * 3 + 17;
        for (Function<Map<String, Parameter>, Optimizer> make : ALL) {
            float[][] results = new float[2][];
            for (int threads = 1; threads <= 2; threads++) {
                int before = dev.resnet4j.tensor.Parallel.threads();
                dev.resnet4j.tensor.Parallel.setThreads(threads);
                try {
                    float[] w = new float[n];
                    for (int i = 0; i < n; i++) {
                        w[i] = (float) Math.sin(i * 0.37) * 2;
                    }
                    Map<String, Parameter> params = new LinkedHashMap<>();
                    params.put("w", new Parameter(new Tensor(w, n)));
                    Optimizer opt = make.apply(params);
                    for (int step = 1; step <= 3; step++) {
                        float[] g = params.get("w").grad().data();
                        for (int i = 0; i < n; i++) {
                            g[i] = (float) Math.cos(i * 0.11 + step);
                        }
                        opt.step();
                    }
                    results[threads - 1] = params.get("w").data().clone();
                } finally {
                    dev.resnet4j.tensor.Parallel.setThreads(before);
                }
            }
            assertArrayEquals(results[0], results[1]);
            assertNotEquals(0f, results[0][n - 1] - (float) Math.sin((n - 1) * 0.37) * 2, "the parameter moved");
        }
    }

    @Test
    void frozenParametersAreNeverChangedEvenWithAGradient() {
        for (Function<Map<String, Parameter>, Optimizer> make : ALL) {
            Map<String, Parameter> params = params();
            Parameter frozen = params.get("b");
            float[] before = frozen.data().clone();
            frozen.setRequiresGrad(false);
            Optimizer opt = make.apply(params);
            for (int k = 0; k < 3; k++) {
                setGrads(params, 0.5f);
                opt.step();
            }
            assertArrayEquals(before, frozen.data(), opt.getClass().getSimpleName());
            assertNotEquals(1f, params.get("a").data()[0], "trainable parameter must move");
            assertFalse(opt.state().keySet().stream().anyMatch(k -> k.startsWith("b.")), "no state for frozen");
        }
    }

    @Test
    void parametersWithoutGradientAreSkippedButCountStillAdvances() {
        for (Function<Map<String, Parameter>, Optimizer> make : ALL) {
            Map<String, Parameter> params = params();
            float[] before = params.get("b").data().clone();
            Optimizer opt = make.apply(params);
            params.get("a").grad().fill(0.1f);
            opt.step();
            assertFalse(params.get("b").hasGrad(), "step must not allocate gradients");
            assertArrayEquals(before, params.get("b").data());
            assertEquals(1, opt.stepCount());
        }
    }

    @Test
    void zeroGradKeepsGradientsAllocatedAndZero() {
        Map<String, Parameter> params = params();
        Optimizer opt = new SGD(params, 0.1);
        params.get("a").grad().fill(3f);
        opt.zeroGrad();
        assertTrue(params.get("a").hasGrad());
        assertArrayEquals(new float[4], params.get("a").grad().data());
        assertFalse(params.get("b").hasGrad());
    }

    @Test
    void zeroGradientStillAppliesWeightDecay() {
        Map<String, Parameter> params = params();
        Optimizer opt = new SGD(params, 0.5, 0, 0, 0.1, false);
        opt.zeroGrad();
        params.get("a").grad();
        opt.step();
        float[] a = params.get("a").data();
        assertTrue(a[0] > 0 && a[0] < 1f && a[1] < 0 && a[1] > -2f, "decay must shrink towards zero");
    }

    @Test
    void stateIsACopyAndRoundTripsThroughLoadState() {
        for (Function<Map<String, Parameter>, Optimizer> make : ALL) {
            Map<String, Parameter> params = params();
            Optimizer opt = make.apply(params);
            setGrads(params, 1f);
            opt.step();
            opt.step();
            Map<String, Tensor> saved = opt.state();
            Map<String, float[]> snapshot = new LinkedHashMap<>();
            saved.forEach((k, v) -> snapshot.put(k, v.data().clone()));
            opt.step();
            saved.forEach((k, v) -> assertArrayEquals(snapshot.get(k), v.data(), "state must be a copy: " + k));

            Optimizer other = make.apply(params());
            other.loadState(saved);
            assertEquals(2, other.stepCount());
            OptimizerParityTest.assertStateEquals(saved, other.state());
        }
    }

    @Test
    void stateKeysFollowPyTorchNames() {
        Map<String, Parameter> params = params();
        Optimizer sgd = new SGD(params, 0.1, 0.9, 0);
        setGrads(params, 1f);
        sgd.step();
        assertEquals(List.of("step", "a.momentum_buffer", "b.momentum_buffer"), List.copyOf(sgd.state().keySet()));
        assertArrayEquals(new int[] {2, 2}, sgd.state().get("a.momentum_buffer").shape());

        Optimizer adam = new Adam(params, 1e-3, 0.9, 0.999, 1e-8, 0, true);
        adam.step();
        assertEquals(List.of("step", "a.step", "a.exp_avg", "a.exp_avg_sq", "a.max_exp_avg_sq",
                "b.step", "b.exp_avg", "b.exp_avg_sq", "b.max_exp_avg_sq"), List.copyOf(adam.state().keySet()));
    }

    @Test
    void listConstructorNamesParametersByIndex() {
        List<Parameter> list = List.copyOf(params().values());
        Optimizer opt = new SGD(list, 0.1, 0.9, 0, 0, false);
        assertEquals(List.of("0", "1"), opt.parameterNames());
        list.get(1).grad().fill(1f);
        opt.step();
        assertEquals(List.of("step", "1.momentum_buffer"), List.copyOf(opt.state().keySet()));
    }

    @Test
    void loadStateRejectsUnknownKeysAndWrongShapesWithoutChangingState() {
        Map<String, Parameter> params = params();
        Optimizer opt = new Adam(params, 1e-3);
        setGrads(params, 1f);
        opt.step();
        Map<String, Tensor> before = opt.state();

        Map<String, Tensor> sgdState = new LinkedHashMap<>();
        sgdState.put("a.momentum_buffer", Tensor.zeros(2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(sgdState));
        assertTrue(e.getMessage().contains("a.momentum_buffer"), e.getMessage());

        Map<String, Tensor> wrongShape = new LinkedHashMap<>(before);
        wrongShape.put("b.exp_avg", Tensor.zeros(4));
        e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(wrongShape));
        assertTrue(e.getMessage().contains("b.exp_avg") && e.getMessage().contains("[3]"), e.getMessage());

        Map<String, Tensor> unknownParam = new LinkedHashMap<>(before);
        unknownParam.put("c.exp_avg", Tensor.zeros(3));
        assertThrows(IllegalArgumentException.class, () -> opt.loadState(unknownParam));

        OptimizerParityTest.assertStateEquals(before, opt.state());
    }

    @Test
    void loadingAnEmptyStateResetsToFresh() {
        Map<String, Parameter> params = params();
        Optimizer opt = new SGD(params, 0.1, 0.9, 0);
        setGrads(params, 1f);
        opt.step();
        opt.loadState(Map.of());
        assertEquals(0, opt.stepCount());
        assertEquals(List.of("step"), List.copyOf(opt.state().keySet()));
    }

    @Test
    void constructorsValidateLikePyTorch() {
        assertThrows(IllegalArgumentException.class, () -> new SGD(params(), 0.1, 0, 0, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new SGD(params(), 0.1, 0.9, 0.1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new SGD(params(), -0.1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(params(), 1e-3, 1.0, 0.999, 1e-8, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(new LinkedHashMap<>(), 1e-3));
        Optimizer opt = new SGD(params(), 0.1);
        assertThrows(IllegalArgumentException.class, () -> opt.setLr(Double.NaN));
        opt.setLr(0.02);
        assertEquals(0.02, opt.lr());
    }

    @Test
    void adamStepsFromAPartialState() {
        Map<String, Parameter> params = params();
        Optimizer opt = new Adam(params, 1e-3);
        opt.loadState(Map.of("a.exp_avg", Tensor.full(0.1f, 2, 2)));
        setGrads(params, 1f);
        opt.step();
        assertEquals(List.of("step", "a.step", "a.exp_avg", "a.exp_avg_sq", "b.step", "b.exp_avg", "b.exp_avg_sq"),
                List.copyOf(opt.state().keySet()));
    }
}
