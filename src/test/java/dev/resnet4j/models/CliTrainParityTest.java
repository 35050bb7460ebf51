package dev.resnet4j.models;

import dev.resnet4j.Fixture;
import dev.resnet4j.FixtureWeights;
import dev.resnet4j.cli.Main;
import dev.resnet4j.io.Npy;
import dev.resnet4j.io.StateDicts;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code resnet train} end to end against PyTorch (fixtures from tools/gen_cli_train_fixtures.py):
 * one epoch over an .npy set of 10 images with {@code --no-shuffle --no-augment --batch-size 4},
 * i.e. three optimiser steps on batches of 4, 4 and 2 in file order, from the same initial
 * weights given with {@code --weights}. The saved file must hold PyTorch's state dict after
 * those steps — weights, BN running statistics and num_batches_tracked — at 1e-4 of each
 * tensor's largest value. The cases include optimizer options left out on the command line,
 * which take PyTorch's defaults for the named optimizer.
 */
class CliTrainParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"sgd_momentum", "sgd_plain", "adam_defaults", "adamw_defaults"})
    void oneEpochOfTheCliMatchesPyTorch(String name, @TempDir Path dir) throws Exception {
        Fixture f = Fixture.load("parity/cli_train_" + name + ".txt");
        TrainParity p = new TrainParity(f);
        int n = f.integer("n");
        int[] shape = f.ints("shape");
        Tensor x = FixtureWeights.uniform("cli_x", -2.0, 2.0, n, shape[0], shape[1], shape[2]);
        int[] labels = f.ints("labels");
        long[] y = Arrays.stream(labels).asLongStream().toArray();
        Path xf = dir.resolve("X.npy");
        Path yf = dir.resolve("y.npy");
        Npy.write(x, xf);
        Npy.writeLongs(y, new int[]{n}, yf);

        ResNet init = ResNets.create("resnet18", 10, true, 0);
        FixtureWeights.fill(init);
        Path initFile = dir.resolve("init.safetensors");
        StateDicts.save(init.stateDict(), initFile);

        Path out = dir.resolve("out.safetensors");
        List<String> args = new ArrayList<>(List.of("train", "--arch", "resnet18", "--grayscale", "--num-classes", "10",
                "--weights", initFile.toString(), "--data", "npy:" + xf + "," + yf, "--epochs", "1",
                "--batch-size", String.valueOf(f.integer("batch")), "--no-shuffle", "--no-augment", "--quiet",
                "--save", out.toString()));
        args.addAll(f.all("args").get(0).length == 0 ? List.of() : Arrays.asList(f.all("args").get(0)));
        assertEquals(0, Main.run(args.toArray(String[]::new)), "resnet train " + args);

        Map<String, Tensor> saved = StateDicts.load(out);
        p.compare("after_epoch", saved, 1e-4);
        if (name.startsWith("sgd")) {
            compareUpdates(f, p, init.stateDict(), saved);
        }
        assertEquals(3f, saved.get("bn1.num_batches_tracked").data()[0], "three optimiser steps: batches of 4, 4 and 2");
    }

    /**
     * The epoch's update (final − initial) against PyTorch's at 1e-3 of the update's largest
     * element: three small SGD steps move the weights by far less than their size, so a
     * comparison of values alone would miss a wrong momentum or weight decay. (SGD only: where
     * Adam's gradient is ~0 its step is a ratio of rounding errors, as large as the update.)
     */
    private static void compareUpdates(Fixture f, TrainParity p, Map<String, Tensor> initial, Map<String, Tensor> saved) {
        Map<String, String[]> want = p.stage("after_epoch");
        Map<String, Double> deltaScale = new java.util.HashMap<>();
        for (String[] l : f.all("after_epoch_delta_scale")) {
            deltaScale.put(l[0], Double.parseDouble(l[1]));
        }
        // where rounding alone moves PyTorch's own update by more (measured by the generator
        // under 1e-7 weight noise), the tolerance is 20x that
        Map<String, Double> tolerance = new java.util.HashMap<>();
        for (String[] l : f.all("after_epoch_delta_noise")) {
            tolerance.put(l[0], Math.max(1e-3, 20 * Double.parseDouble(l[1])));
        }
        int checked = 0;
        int strict = 0;
        for (Map.Entry<String, String[]> e : want.entrySet()) {
            String key = e.getKey();
            double scale = deltaScale.get(key);
            if (scale == 0 || key.endsWith("num_batches_tracked")) {
                continue;
            }
            String[] v = e.getValue();
            int k = v.length / 2;
            float[] init = initial.get(key).data();
            float[] got = saved.get(key).data();
            for (int j = 0; j < k; j++) {
                int i = Integer.parseInt(v[j]);
                double wantDelta = Double.parseDouble(v[k + j]) - init[i];
                double gotDelta = (double) got[i] - init[i];
                double err = Math.abs(gotDelta - wantDelta) / scale;
                double tol = tolerance.get(key);
                // float32 resolution: an update of a few ulps of the value is only known to an ulp
                double resolution = 2 * Math.ulp(Math.abs(got[i])) / scale;
                if (err > tol + resolution) {
                    org.junit.jupiter.api.Assertions.fail("update of " + key + "[" + i + "]: " + gotDelta + " vs PyTorch "
                            + wantDelta + " (error " + err + " of the largest update " + scale + ", tolerance " + tol + ")");
                }
                checked++;
                strict += tol == 1e-3 ? 1 : 0;
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(checked > 500 && strict > checked / 4,
                "compared " + checked + " updates, " + strict + " at the 1e-3 tolerance");
    }
}
