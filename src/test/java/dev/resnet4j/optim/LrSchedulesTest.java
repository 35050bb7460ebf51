package dev.resnet4j.optim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Learning-rate sequences against PyTorch 1.13's schedulers (fixture from tools/gen_optim_fixtures.py). */
class LrSchedulesTest {
    /** Relative; PyTorch's recursive StepLR/CosineAnnealingLR drift from the closed form by ~1e-15. */
    static final double RTOL = 1e-12;

    static Stream<String> settings(String kind) {
        String prefix = "sched/" + kind + "/";
        return OptimFixture.arrays().keySet().stream()
                .filter(k -> k.startsWith(prefix) && k.endsWith("/args"))
                .map(k -> k.substring(0, k.length() - "/args".length()));
    }

    static Stream<String> stepSettings() {
        return settings("step");
    }

    static Stream<String> cosineSettings() {
        return settings("cosine");
    }

    static Stream<String> oneCycleSettings() {
        return settings("onecycle");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stepSettings")
    void stepMatchesStepLR(String key) {
        double[] a = OptimFixture.doubles(key + "/args"); // base_lr, step_size, gamma, epochs
        assertPerEpoch(LrSchedules.step(a[0], (int) a[1], a[2]), OptimFixture.doubles(key + "/lrs"), key);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cosineSettings")
    void cosineMatchesCosineAnnealingLR(String key) {
        double[] a = OptimFixture.doubles(key + "/args"); // base_lr, t_max, epochs
        assertPerEpoch(LrSchedules.cosine(a[0], (int) a[1]), OptimFixture.doubles(key + "/lrs"), key);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oneCycleSettings")
    void oneCycleMatchesOneCycleLR(String key) {
        double[] a = OptimFixture.doubles(key + "/args"); // max_lr, total_steps, pct_start, div, final_div
        int total = (int) a[1];
        assertPerStep(LrSchedules.oneCycle(a[0], total, a[2], a[3], a[4], false),
                OptimFixture.doubles(key + "/lrs_cos"), key + " cos");
        assertPerStep(LrSchedules.oneCycle(a[0], total, a[2], a[3], a[4], true),
                OptimFixture.doubles(key + "/lrs_linear_warmup"), key + " linear warm-up");
    }

    @Test
    void oneCycleDefaultsAreOneCycleLRDefaults() {
        String key = "sched/onecycle/0";
        double[] a = OptimFixture.doubles(key + "/args");
        assertEquals(LrSchedules.ONE_CYCLE_PCT_START, a[2]);
        assertEquals(LrSchedules.ONE_CYCLE_DIV_FACTOR, a[3]);
        assertEquals(LrSchedules.ONE_CYCLE_FINAL_DIV_FACTOR, a[4]);
        assertPerStep(LrSchedules.oneCycle(a[0], (int) a[1]), OptimFixture.doubles(key + "/lrs_cos"), key);
    }

    @Test
    void oneCycleCountsStepsAcrossEpochs() {
        String key = "sched/onecycle/0"; // 100 steps: 10 epochs of 10 steps
        double[] a = OptimFixture.doubles(key + "/args");
        double[] expected = OptimFixture.doubles(key + "/lrs_cos");
        LrSchedule s = LrSchedules.parse("onecycle", a[0], 10, 10);
        for (int e = 0; e < 10; e++) {
            for (int i = 0; i < 10; i++) {
                assertRel(expected[e * 10 + i], s.lr(e, i, 10), key + " epoch " + e + " step " + i);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> s.lr(10, 1, 10));
    }

    @Test
    void parseBuildsEachScheduleByName() {
        double[] stepArgs = OptimFixture.doubles("sched/step/1/args"); // 0.05, 3, 0.5, 12 epochs
        assertPerEpoch(LrSchedules.parse("step:" + (int) stepArgs[1] + ":" + stepArgs[2], stepArgs[0], 12, 5),
                OptimFixture.doubles("sched/step/1/lrs"), "parsed step");
        double[] cosArgs = OptimFixture.doubles("sched/cosine/1/args"); // t_max = epochs
        assertPerEpoch(LrSchedules.parse("cosine", cosArgs[0], (int) cosArgs[1], 7),
                OptimFixture.doubles("sched/cosine/1/lrs"), "parsed cosine");
        double[] oc = OptimFixture.doubles("sched/onecycle/1/args"); // 37 steps, pct 0.25
        assertPerStep(LrSchedules.parse("onecycle-linear:" + oc[2], oc[0], 1, (int) oc[1]),
                OptimFixture.doubles("sched/onecycle/1/lrs_linear_warmup"), "parsed onecycle-linear");
        assertEquals(0.3, LrSchedules.parse(" Constant ", 0.3, 5, 5).lr(4, 4, 5));
        assertEquals(0.1, LrSchedules.parse("step", 1.0, 9, 5).lr(3, 0, 5), 1e-15); // step size 9 / 3
    }

    @Test
    void parseRejectsUnknownNamesAndBadNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LrSchedules.parse("linear", 0.1, 10, 10));
        assertTrue(e.getMessage().contains("onecycle"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LrSchedules.parse("step:x", 0.1, 10, 10));
        assertThrows(IllegalArgumentException.class, () -> LrSchedules.parse("cosine:1:2", 0.1, 10, 10));
        assertThrows(IllegalArgumentException.class, () -> LrSchedules.step(0.1, 0, 0.1));
        assertThrows(IllegalArgumentException.class, () -> LrSchedules.constant(Double.NaN));
    }

    /** Per-epoch schedules must not depend on the step within the epoch. */
    static void assertPerEpoch(LrSchedule s, double[] expected, String what) {
        for (int e = 0; e < expected.length; e++) {
            assertRel(expected[e], s.lr(e, 0, 50), what + " epoch " + e);
            assertEquals(s.lr(e, 0, 50), s.lr(e, 49, 50), what + " epoch " + e + " last step");
        }
    }

    static void assertPerStep(LrSchedule s, double[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertRel(expected[i], s.lr(0, i, expected.length), what + " step " + i);
        }
    }

    static void assertRel(double expected, double actual, String what) {
        if (!(Math.abs(actual - expected) <= RTOL * Math.abs(expected) + 1e-300)) {
            fail(what + ": expected " + expected + " but was " + actual);
        }
    }
}
