package dev.resnet4j.models;

import dev.resnet4j.Fixture;
import dev.resnet4j.FixtureWeights;
import dev.resnet4j.tensor.Tensor;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/** Reads tools/gen_train_fixtures.py's sampled tensors and compares live tensors against them. */
final class TrainParity {
    final Fixture f;

    TrainParity(String name) {
        this(Fixture.load("parity/train_" + name + ".txt"));
    }

    TrainParity(Fixture fixture) {
        f = fixture;
    }

    ResNet model() {
        ResNet m = ResNets.create(f.str("arch"), f.integer("num_classes"), f.integer("grayscale") == 1, 0);
        FixtureWeights.fill(m);
        m.train(true);
        return m;
    }

    Tensor batch(int step) {
        return FixtureWeights.uniform("batch" + step, -2.0, 2.0, f.ints("input_shape"));
    }

    int[] labels(int step) {
        return f.ints("labels" + step);
    }

    /** stage lines as key -> {indices..., values...}. */
    Map<String, String[]> stage(String stage) {
        Map<String, String[]> out = new HashMap<>();
        for (String[] l : f.all(stage)) {
            String[] rest = new String[l.length - 1];
            System.arraycopy(l, 1, rest, 0, rest.length);
            out.put(l[0], rest);
        }
        return out;
    }

    Map<String, Double> scales(String stage) {
        Map<String, Double> out = new HashMap<>();
        for (String[] l : f.all(stage + "_scale")) {
            out.put(l[0], Double.parseDouble(l[1]));
        }
        return out;
    }

    /**
     * Every sampled element within {@code tol} of PyTorch's, relative to the tensor's largest
     * magnitude (so near-zero elements do not dominate), for every tensor in {@code actual}.
     * Returns the worst error seen.
     */
    double compare(String stage, Map<String, Tensor> actual, double tol) {
        Map<String, String[]> want = stage(stage);
        Map<String, Double> scale = scales(stage);
        // Where PyTorch cannot reproduce itself under 1e-7 weight noise (the generator measures
        // this per key), the tolerance widens to 20x that noise; elsewhere it stays at tol.
        // A step starts from the previous step's state, so its results cannot be pinned down
        // more tightly than that state was: the previous step's worst noise applies to all keys.
        Map<String, Double> noise = new HashMap<>();
        double inherited = 0;
        if (stage.startsWith("after_step")) {
            int step = Integer.parseInt(stage.substring("after_step".length()));
            for (String[] l : f.all("after_step" + (step - 1) + "_noise")) {
                inherited = Math.max(inherited, Double.parseDouble(l[1]));
            }
        }
        for (String[] l : f.all(stage + "_noise")) {
            noise.put(l[0], Math.max(inherited, Double.parseDouble(l[1])));
        }
        if (want.isEmpty()) {
            fail("fixture has no stage " + stage);
        }
        double worst = 0;
        for (Map.Entry<String, Tensor> e : actual.entrySet()) {
            Tensor t = e.getValue();
            String[] v = want.get(e.getKey());
            if (v == null) {
                fail(stage + ": the fixture has no tensor " + e.getKey());
            }
            int n = v.length / 2;
            double s = Math.max(scale.get(e.getKey()), 1e-12);
            double keyTol = Math.max(tol, 20 * noise.getOrDefault(e.getKey(), 0.0));
            for (int i = 0; i < n; i++) {
                int idx = Integer.parseInt(v[i]);
                double expected = Double.parseDouble(v[n + i]);
                double err = Math.abs(t.data()[idx] - expected) / s;
                worst = Math.max(worst, err);
                if (err > keyTol) {
                    fail(stage + " " + e.getKey() + "[" + idx + "]: " + t.data()[idx] + " vs PyTorch " + expected
                            + " (error " + err + " of max |value| " + s + ", tolerance " + keyTol + ")");
                }
            }
        }
        return worst;
    }
}
