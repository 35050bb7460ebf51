package dev.resnet4j.cli;

import dev.resnet4j.Fixture;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What `resnet train` uses for optimizer options left out. With --optimizer named: PyTorch's
 * own defaults for that optimizer, read by tools/gen_cli_train_fixtures.py from the signatures
 * of torch.optim.SGD/Adam/AdamW (SGD's lr is required in PyTorch; ours is 0.01). Without
 * --optimizer: the default recipe. Explicit options always win, and --no-nesterov negates.
 */
class TrainDefaultsTest {

    private static TrainCommand parse(String... args) {
        TrainCommand t = new TrainCommand();
        new CommandLine(t).parseArgs(args);
        t.resolveOptimizerDefaults();
        return t;
    }

    private static Map<String, Double> pytorch(String optimizer) {
        String[] l = Fixture.load("parity/optimizer_defaults.txt").all(optimizer).get(0);
        Map<String, Double> m = new HashMap<>();
        for (int i = 0; i + 1 < l.length; i += 2) {
            m.put(l[i], Double.parseDouble(l[i + 1]));
        }
        return m;
    }

    @Test
    void aNamedOptimizerTakesPyTorchsDefaults() {
        Map<String, Double> sgd = pytorch("sgd");
        TrainCommand t = parse("--data", "fashion-mnist", "--optimizer", "sgd", "--lr", "0.1");
        assertEquals(sgd.get("momentum"), t.momentum);
        assertEquals(sgd.get("nesterov") != 0, t.nesterov);
        assertEquals(sgd.get("weight_decay"), t.weightDecay);
        assertEquals(0.1, t.lr);
        for (String name : new String[]{"adam", "adamw"}) {
            Map<String, Double> d = pytorch(name);
            TrainCommand a = parse("--data", "fashion-mnist", "--optimizer", name.toUpperCase());
            assertEquals(d.get("lr"), a.lr, name);
            assertEquals(d.get("weight_decay"), a.weightDecay, name);
            assertEquals(name, a.optimizer);
        }
    }

    @Test
    void noOptimizerIsTheDefaultRecipeAndExplicitOptionsWin() {
        TrainCommand t = parse("--data", "fashion-mnist");
        assertEquals("sgd", t.optimizer);
        assertEquals(TrainCommand.RECIPE_LR, t.lr);
        assertEquals(TrainCommand.RECIPE_MOMENTUM, t.momentum);
        assertEquals(true, t.nesterov);
        assertEquals(TrainCommand.RECIPE_WEIGHT_DECAY, t.weightDecay);
        assertEquals(10, t.epochs);
        TrainCommand u = parse("--data", "fashion-mnist", "--no-nesterov", "--momentum", "0.5", "--weight-decay", "0");
        assertEquals(false, u.nesterov);
        assertEquals(0.5, u.momentum);
        assertEquals(0.0, u.weightDecay);
        TrainCommand v = parse("--data", "fashion-mnist", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--nesterov");
        assertEquals(true, v.nesterov);
        assertEquals(0.9, v.momentum);
    }
}
