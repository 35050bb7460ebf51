package dev.resnet4j.optim;

import dev.resnet4j.nn.Parameter;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs every optimiser case of {@code tools/gen_optim_fixtures.py} and compares parameters
 * after each step and the final state with PyTorch 1.13's, bit for bit.
 */
class OptimizerParityTest {
    static final int STEPS = 3;
    static final String FROZEN = "frozen";
    static final String LATE = "p3"; // no gradient at step 0

    static Stream<String> cases() {
        return OptimFixture.arrays().keySet().stream()
                .filter(k -> k.endsWith("/hparams"))
                .map(k -> k.substring(0, k.length() - "/hparams".length()));
    }

    static List<String> paramNames() {
        List<String> names = new ArrayList<>();
        for (String k : OptimFixture.arrays().keySet()) {
            if (k.startsWith("init/")) {
                names.add(k.substring("init/".length()));
            }
        }
        return names;
    }

    /** Fresh parameters with the fixture's initial values; "frozen" has requiresGrad false. */
    static Map<String, Parameter> initialParams() {
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (String name : paramNames()) {
            OptimFixture.Array a = OptimFixture.get("init/" + name);
            params.put(name, new Parameter(new Tensor(a.floats().clone(), a.shape())));
        }
        params.get(FROZEN).setRequiresGrad(false);
        // An allocated, non-zero gradient the optimiser must still ignore.
        params.get(FROZEN).grad().fill(1f);
        return params;
    }

    static Optimizer optimizer(String name, Map<String, Parameter> params) {
        double[] h = OptimFixture.doubles(name + "/hparams");
        if (name.startsWith("sgd")) {
            return new SGD(params, h[0], h[1], h[2], h[3], h[4] != 0);
        }
        boolean decoupled = h[6] != 0;
        return decoupled ? new AdamW(params, h[0], h[1], h[2], h[3], h[4], h[5] != 0)
                : new Adam(params, h[0], h[1], h[2], h[3], h[4], h[5] != 0);
    }

    /** Sets the lr and the gradients of step {@code k} as the generator did, then steps. */
    static void step(String name, Optimizer opt, Map<String, Parameter> params, int k) {
        opt.setLr(OptimFixture.doubles(name + "/lrs")[k]);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String key = "grad/" + k + "/" + e.getKey();
            if (OptimFixture.has(key)) {
                e.getValue().grad().copyFrom(new Tensor(OptimFixture.floats(key), e.getValue().shape()));
            }
        }
        opt.step();
    }

    static void steps(String name, Optimizer opt, Map<String, Parameter> params, int from, int to) {
        for (int k = from; k < to; k++) {
            step(name, opt, params, k);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorchStepByStepAndInFinalState(String name) {
        Map<String, Parameter> params = initialParams();
        Optimizer opt = optimizer(name, params);
        for (int k = 0; k < STEPS; k++) {
            step(name, opt, params, k);
            assertEquals(k + 1, opt.stepCount());
            if (k == 0) {
                assertFalse(params.get(LATE).hasGrad(), "p3 must have had no gradient at step 0");
            }
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                assertBitExact(OptimFixture.floats(name + "/after/" + k + "/" + e.getKey()), e.getValue().data(),
                        name + " step " + k + " " + e.getKey());
            }
        }
        assertArrayEquals(OptimFixture.floats("init/" + FROZEN), params.get(FROZEN).data(),
                "frozen parameter must not change");
        assertStateMatches(name, opt);
    }

    /** The state after the last step: same keys and values as PyTorch's optimizer.state. */
    static void assertStateMatches(String name, Optimizer opt) {
        Map<String, Tensor> state = opt.state();
        String prefix = name + "/state/";
        TreeSet<String> expectedKeys = new TreeSet<>();
        for (String k : OptimFixture.arrays().keySet()) {
            if (k.startsWith(prefix)) {
                expectedKeys.add(k.substring(prefix.length()));
            }
        }
        TreeSet<String> actualKeys = new TreeSet<>(state.keySet());
        actualKeys.remove(Optimizer.STEP_KEY);
        assertEquals(expectedKeys, actualKeys, name + " state keys");
        for (String key : expectedKeys) {
            assertBitExact(OptimFixture.floats(prefix + key), state.get(key).data(), name + " state " + key);
        }
        assertEquals(STEPS, (int) state.get(Optimizer.STEP_KEY).data()[0]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void resumingFromSavedStateEqualsUninterrupted(String name) {
        Map<String, Parameter> straight = initialParams();
        Optimizer a = optimizer(name, straight);
        steps(name, a, straight, 0, STEPS);

        Map<String, Parameter> first = initialParams();
        Optimizer b = optimizer(name, first);
        steps(name, b, first, 0, 1);
        Map<String, Tensor> saved = b.state();
        Map<String, Tensor> weights = new LinkedHashMap<>();
        first.forEach((n, p) -> weights.put(n, p.value().copy()));
        // Keep stepping the first optimiser: the saved copy must not move with it.
        step(name, b, first, 1);

        Map<String, Parameter> resumed = initialParams();
        resumed.forEach((n, p) -> p.value().copyFrom(weights.get(n)));
        Optimizer c = optimizer(name, resumed);
        c.loadState(saved);
        assertEquals(1, c.stepCount());
        steps(name, c, resumed, 1, STEPS);
        for (String n : straight.keySet()) {
            assertArrayEquals(straight.get(n).data(), resumed.get(n).data(), name + " " + n);
        }
        assertStateEquals(a.state(), c.state());
    }

    static void assertStateEquals(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            assertArrayEquals(expected.get(k).data(), actual.get(k).data(), k);
            assertArrayEquals(expected.get(k).shape(), actual.get(k).shape(), k);
        }
    }

    /**
     * Bit-exact: the optimisers round exactly where PyTorch's AVX2 CPU kernels do (fused
     * multiply-adds, float32 scalars), so the fixture from Debian's PyTorch 1.13 is matched to
     * the last bit, which is tighter than the 1e-6 relative tolerance the task asks for. If a
     * fixture regenerated with another PyTorch build differs by an ulp, the message shows it.
     */
    static void assertBitExact(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + " [" + i + "]: expected " + expected[i] + " but was " + actual[i] + " ("
                        + (Float.floatToIntBits(actual[i]) - Float.floatToIntBits(expected[i])) + " ulps)");
            }
        }
    }
}
