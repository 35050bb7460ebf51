package dev.resnet4j.cli;

import dev.resnet4j.io.Npy;
import dev.resnet4j.io.StateDicts;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.tensor.Tensor;
import dev.resnet4j.train.Checkpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The promises for training that goes wrong and for wrong use: one line on stderr
 * naming the file and the fault, a non-zero exit, no stack trace unless {@code --verbose},
 * and no output file (or temporary) left behind.
 */
class CliRobustnessTest extends CliCapture {

    @TempDir
    Path dir;


    /** The refusal: exactly one line, no stack trace; returns it. */
    private String refusal() {
        String e = err.toString().strip();
        assertEquals(1, e.lines().count(), "one line, got:\n" + e);
        assertFalse(e.contains("\tat ") || e.contains("Exception"), e);
        return e;
    }

    /** Files in {@code dir} other than the inputs a test wrote. */
    private List<String> leftovers(Path d, String... inputs) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !List.of(inputs).contains(n)).sorted().toList();
        }
    }

    // --- item 5: training that goes wrong says so ---

    @Test
    void divergingTrainingStopsNamingEpochAndStepAndKeepsTheLastGoodCheckpoint() throws Exception {
        Path x = dir.resolve("X.npy");
        Path y = dir.resolve("y.npy");
        CrashSafetyTest.writeData(x, y, 16, 16);
        Path ckpt = dir.resolve("ckpt");
        Path save = dir.resolve("model.safetensors");
        // Epoch 1 at lr 0.01 is sound; StepLR multiplies the rate by 1e30 from epoch 2 on.
        int code = run("train", "--grayscale", "--num-classes", "10", "--data", "npy:" + x + "," + y, "--epochs", "3",
                "--batch-size", "8", "--no-augment", "--lr", "0.01", "--schedule", "step:1:1e30", "--quiet",
                "--checkpoint-dir", ckpt.toString(), "--save", save.toString());
        assertEquals(1, code, err.toString());
        String e = refusal();
        assertTrue(e.startsWith("resnet train: the loss became") && e.contains("at epoch 2, step ") && e.contains("--lr"), e);
        assertTrue(e.contains(ckpt.resolve(Checkpoint.FILE).toString()), e);
        Checkpoint c = Checkpoint.load(ckpt);
        assertEquals(1, c.epochsDone(), "the checkpoint of the last completed epoch stays");
        for (Tensor t : c.model().values()) {
            for (float v : t.data()) {
                assertTrue(Float.isFinite(v), "the kept checkpoint holds no NaN");
            }
        }
        assertEquals(List.of(Checkpoint.FILE), leftovers(ckpt));
        assertFalse(Files.exists(save), "no --save output from a diverged run");
        assertEquals(List.of("X.npy", "ckpt", "model.metrics.csv", "y.npy"), leftovers(dir));
    }

    @Test
    void nanPixelsInTheDataAreNamedAsTheCause() throws Exception {
        Path x = dir.resolve("X.npy");
        Path y = dir.resolve("y.npy");
        CrashSafetyTest.writeData(x, y, 8, 16);
        Tensor images = Npy.readFloat(x);
        images.data()[5] = Float.NaN;
        Npy.write(images, x);
        int code = run("train", "--grayscale", "--num-classes", "10", "--data", "npy:" + x + "," + y, "--epochs", "1",
                "--batch-size", "8", "--quiet", "--save", dir.resolve("m.safetensors").toString());
        assertEquals(1, code);
        String e = refusal();
        assertTrue(e.contains("at epoch 1, step 1") && e.contains("NaN or infinite values"), e);
    }

    @Test
    void outOfMemoryEndsWithAdviceNotAStackTrace() throws Exception {
        Path w = dir.resolve("w.safetensors");
        StateDicts.save(ResNets.resnet18(10, true).stateDict(), w);
        Path x = dir.resolve("big.npy");
        Npy.write(Tensor.zeros(32, 1, 224, 224), x); // one 32-image forward needs far more than 256 MiB
        Path y = dir.resolve("out.npy");
        ChildCli.Result r = ChildCli.run(dir.resolve("infer.log"), List.of("-Xmx256m"), "infer", "--grayscale",
                "--num-classes", "10", "-w", w.toString(), "-i", x.toString(), "-o", y.toString(), "--batch-size", "32");
        assertEquals(1, r.exitCode(), r.output());
        assertEquals(1, r.lines().size(), r.output());
        String line = r.lines().get(0);
        assertTrue(line.startsWith("resnet infer: out of memory") && line.contains("--batch-size") && line.contains("-Xmx"), line);
        assertEquals(List.of("big.npy", "infer.log", "w.safetensors"), leftovers(dir));

        Path tx = dir.resolve("X.npy");
        Path ty = dir.resolve("y.npy");
        CrashSafetyTest.writeData(tx, ty, 32, 224);
        Path save = dir.resolve("m.safetensors");
        r = ChildCli.run(dir.resolve("train.log"), List.of("-Xmx256m"), "train", "--grayscale", "--num-classes", "10",
                "--data", "npy:" + tx + "," + ty, "--batch-size", "32", "--no-augment", "--quiet", "--epochs", "1",
                "--save", save.toString());
        assertEquals(1, r.exitCode(), r.output());
        line = r.lines().get(r.lines().size() - 1);
        assertTrue(line.startsWith("resnet train: out of memory at batch size 32") && line.contains("--batch-size"), r.output());
        assertFalse(r.output().contains("\tat "), r.output());
        assertFalse(Files.exists(save));
    }

    @Test
    void resumingWithAnotherModelNamesTheCheckpointAndTheKey() throws Exception {
        Path x = dir.resolve("X.npy");
        Path y = dir.resolve("y.npy");
        CrashSafetyTest.writeData(x, y, 8, 16);
        Path ckpt = dir.resolve("ckpt");
        String[] args = {"train", "--grayscale", "--data", "npy:" + x + "," + y, "--batch-size", "8",
                "--quiet", "--checkpoint-dir", ckpt.toString(), "--resume", "--save", dir.resolve("m.safetensors").toString()};
        assertEquals(0, run(concat(args, "--num-classes", "10", "--epochs", "1")), err.toString());
        assertEquals(2, run(concat(args, "--num-classes", "12", "--epochs", "2")));
        String e = refusal();
        assertTrue(e.contains(ckpt.resolve(Checkpoint.FILE) + ": size mismatch for fc.weight: checkpoint [10, 512], model [12, 512]"), e);

        // A damaged checkpoint (say, cut short by another tool) is refused by name, not silently restarted.
        Path file = ckpt.resolve(Checkpoint.FILE);
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertEquals(1, run(concat(args, "--num-classes", "10", "--epochs", "2")));
        e = refusal();
        assertTrue(e.startsWith("resnet train: ") && e.contains(Checkpoint.FILE), e);
    }

    // --- item 7: wrong use ---

    @Test
    void weightsForAnotherModelNameTheKeyAndBothShapes() throws Exception {
        Path w = dir.resolve("r18.safetensors");
        StateDicts.save(ResNets.resnet18(10, true).stateDict(), w);
        Path x = dir.resolve("x.npy");
        Npy.write(Tensor.zeros(1, 1, 16, 16), x);
        Path y = dir.resolve("y.npy");
        String[] common = {"infer", "-w", w.toString(), "-i", x.toString(), "-o", y.toString()};

        assertEquals(2, run(concat(common, "--arch", "resnet34", "--num-classes", "10", "--grayscale")));
        String e = refusal();
        assertTrue(e.contains("r18.safetensors: missing key layer1.2.conv1.weight (shape [64, 64, 3, 3])")
                && e.contains("the file holds resnet18 weights, 10 classes, 1 channel")
                && e.contains("the model is resnet34, 10 classes, 1 channel"), e);

        assertEquals(2, run(concat(common, "--arch", "resnet50", "--num-classes", "10", "--grayscale")));
        e = refusal();
        assertTrue(e.contains("size mismatch for layer1.0.conv1.weight: checkpoint [64, 64, 3, 3], model [64, 64, 1, 1]")
                && e.contains("resnet18 weights"), e);

        assertEquals(2, run(concat(common, "--num-classes", "1000", "--grayscale")));
        e = refusal();
        assertTrue(e.contains("fc.weight") && e.contains("[10, 512]") && e.contains("[1000, 512]"), e);

        assertEquals(2, run(concat(common, "--num-classes", "10")));
        e = refusal();
        assertTrue(e.contains("conv1.weight") && e.contains("[64, 1, 7, 7]") && e.contains("[64, 3, 7, 7]")
                && e.contains("1 channel, the model is resnet18, 10 classes, 3 channels"), e);

        assertEquals(List.of("r18.safetensors", "x.npy"), leftovers(dir));

        // With --verbose the same refusal shows where it came from.
        assertEquals(2, run(concat(common, "--num-classes", "10", "--verbose")));
        assertTrue(err.toString().contains("\tat "), err.toString());
    }

    @Test
    void inferRefusesAnInputWithTheWrongChannelsNamingFileAndShape() throws Exception {
        Path w = dir.resolve("gray.safetensors");
        StateDicts.save(ResNets.resnet18(10, true).stateDict(), w);
        Path x = dir.resolve("rgb.npy");
        Npy.write(Tensor.zeros(2, 3, 16, 16), x);
        Path y = dir.resolve("y.npy");
        Files.writeString(y, "keep me");
        assertEquals(2, run("infer", "--grayscale", "--num-classes", "10", "-w", w.toString(), "-i", x.toString(),
                "-o", y.toString()));
        String e = refusal();
        assertTrue(e.contains("rgb.npy") && e.contains("[2, 3, 16, 16]") && e.contains("[N, 1, H, W]"), e);
        assertEquals("keep me", Files.readString(y), "a failed run leaves an existing output alone");
        assertEquals(List.of("gray.safetensors", "rgb.npy", "y.npy"), leftovers(dir));
    }

    @Test
    void trainRefusesDataWithTheWrongChannelsOrMoreClassesThanTheModel() throws Exception {
        Path x = dir.resolve("X.npy");
        Path y = dir.resolve("y.npy");
        CrashSafetyTest.writeData(x, y, 8, 16);
        assertEquals(2, run("train", "--num-classes", "10", "--data", "npy:" + x + "," + y, "--epochs", "1",
                "--save", dir.resolve("m.safetensors").toString()));
        String e = refusal();
        assertTrue(e.contains("X.npy") && e.contains("1-channel images but the model takes 3") && e.contains("--grayscale"), e);

        assertEquals(2, run("train", "--grayscale", "--num-classes", "5", "--data", "npy:" + x + "," + y, "--epochs", "1",
                "--save", dir.resolve("m.safetensors").toString()));
        e = refusal();
        assertTrue(e.contains("X.npy") && e.contains("8 classes (labels up to 7) but the model has 5; set --num-classes 8"), e);
        assertEquals(List.of("X.npy", "y.npy"), leftovers(dir));
    }

    @Test
    void predictAndExplainConvertAnImageWithOtherChannelsAndSaySo() throws Exception {
        Path gray = dir.resolve("gray.safetensors");
        Path rgb = dir.resolve("rgb.safetensors");
        assertEquals(0, run("init", "--num-classes", "3", "--grayscale", "-o", gray.toString()));
        assertEquals(0, run("init", "--num-classes", "3", "-o", rgb.toString()));
        Path colour = dir.resolve("colour.png");
        Path mono = dir.resolve("mono.png");
        BufferedImage c = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
        BufferedImage g = new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 20; i++) {
            c.setRGB(i, i, 0xff8040);
            g.getRaster().setSample(i, 19 - i, 0, 200);
        }
        ImageIO.write(c, "png", colour.toFile());
        ImageIO.write(g, "png", mono.toFile());

        assertEquals(0, run("predict", "--grayscale", "--num-classes", "3", "--json", "-w", gray.toString(), colour.toString()), err.toString());
        assertTrue(err.toString().contains("note: " + colour + " has 3 channel(s); converted to grayscale"), err.toString());
        assertTrue(out.toString().startsWith("{\"image\":"), "the note stays off stdout: " + out);

        assertEquals(0, run("predict", "--num-classes", "3", "--resize", "32", "--crop", "32", "-w", rgb.toString(),
                mono.toString()), err.toString());
        assertTrue(err.toString().contains("note: " + mono + " has 1 channel(s); converted to RGB"), err.toString());

        Path cam = dir.resolve("cam.png");
        assertEquals(0, run("explain", "--grayscale", "--num-classes", "3", "-w", gray.toString(), "-o", cam.toString(),
                colour.toString()), err.toString());
        assertTrue(err.toString().contains("converted to grayscale") && Files.size(cam) > 0, err.toString());
        assertEquals(0, run("explain", "--num-classes", "3", "--size", "32", "-w", rgb.toString(), "-o", cam.toString(),
                mono.toString()), err.toString());
        assertTrue(err.toString().contains("converted to RGB"), err.toString());
        assertTrue(ImageIO.read(cam.toFile()).getWidth() > 0);

        // A run that fails leaves no picture, whole or half.
        Path none = dir.resolve("none.png");
        assertEquals(2, run("explain", "--grayscale", "--num-classes", "3", "--class", "7", "-w", gray.toString(),
                "-o", none.toString(), mono.toString()));
        assertTrue(refusal().contains("class 7"), err.toString());
        assertFalse(Files.exists(none));
        assertEquals(List.of("cam.png", "colour.png", "gray.safetensors", "mono.png", "rgb.safetensors"), leftovers(dir));
    }

    @Test
    void wrongOptionsAreOneLineWithTheFixNotTheWholeUsage() {
        assertEquals(2, run("train", "--epochs", "1"));
        String e = refusal();
        assertTrue(e.startsWith("resnet train: Missing required option: '--data") && e.contains("=SPEC'") && e.endsWith("(see resnet train --help)"), e);
        assertEquals(2, run("train", "--epoch", "3", "--data", "fashion-mnist-subset", "--save", "m.safetensors"));
        e = refusal();
        assertTrue(e.contains("'--epoch'") && e.contains("did you mean --epochs?"), e);
        assertEquals(2, run("trian"));
        assertTrue(refusal().contains("did you mean train?"), err.toString());
    }

    // --- item 3: nothing half-written ---

    @Test
    void refusedOutputsLeaveNothingBehind() throws Exception {
        Path bad = dir.resolve("model.bin");
        assertEquals(1, run("init", "--num-classes", "3", "-o", bad.toString()));
        String e = refusal();
        assertTrue(e.contains("model.bin") && e.contains(".safetensors"), e);

        Path w = dir.resolve("w.safetensors");
        assertEquals(0, run("init", "--num-classes", "3", "--seed", "1", "-o", w.toString()));
        byte[] before = Files.readAllBytes(w);
        // The same name again, but the output cannot be written: the old file stays as it was.
        Path blocked = dir.resolve("blocked");
        Files.writeString(blocked, "a file where a directory should be");
        assertEquals(1, run("init", "--num-classes", "3", "-o", blocked.resolve("w.safetensors").toString()));
        refusal();
        assertArrayEquals(before, Files.readAllBytes(w));
        assertEquals(List.of("blocked", "w.safetensors"), leftovers(dir));
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }
}
