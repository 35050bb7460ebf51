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
        f = Fixture.load("parity/train_" + name + ".txt");
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
            for (int i = 0; i < n; i++) {
                int idx = Integer.parseInt(v[i]);
                double expected = Double.parseDouble(v[n + i]);
                double err = Math.abs(t.data()[idx] - expected) / s;
                worst = Math.max(worst, err);
                if (err > tol) {
                    fail(stage + " " + e.getKey() + "[" + idx + "]: " + t.data()[idx] + " vs PyTorch " + expected
                            + " (error " + err + " of max |value| " + s + ")");
                }
            }
        }
        return worst;
    }
}
