package dev.resnet4j.cli;

import dev.resnet4j.Fixture;
import dev.resnet4j.FixtureWeights;
import dev.resnet4j.io.Npy;
import dev.resnet4j.io.StateDicts;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.resnet4j.Assertions2.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands end to end: outputs, and one-line errors with non-zero exits and no stack trace. */
class CliTest extends CliCapture {


    @Test
    void summaryPrintsTheSeedsTotals() {
        assertEquals(0, run("summary", "--arch", "resnet18", "--num-classes", "1000"));
        String s = out.toString();
        assertTrue(s.contains("11,689,512"), s);
        assertTrue(s.contains("[1, 512, 7, 7]") && s.contains("[1, 64, 56, 56]"), s);
        assertEquals(0, run("summary", "--arch", "resnet34", "--input-size", "97x61", "--grayscale", "--num-classes", "10"));
    }

    @Test
    void inferMatchesPyTorchThroughFiles(@TempDir Path dir) throws Exception {
        Fixture f = Fixture.load("parity/forward_resnet34_odd.txt");
        ResNet m = ResNets.create("resnet34", f.integer("num_classes"), false, 0);
        FixtureWeights.fill(m);
        Path w = dir.resolve("w.pth");
        StateDicts.save(m.stateDict(), w);
        Path x = dir.resolve("x.npy");
        Npy.write(FixtureWeights.uniform("input", -2.0, 2.0, f.ints("input_shape")), x);
        Path y = dir.resolve("y.npy");
        assertEquals(0, run("infer", "--arch", "resnet34", "--num-classes", "7", "--weights", w.toString(),
                "--input", x.toString(), "--output", y.toString()), err.toString());
        Tensor logits = Npy.readFloat(y);
        assertClose(logits.data(), f.floats("logits"), 1e-4, "logits via files");
        assertEquals(0, run("infer", "--arch", "resnet34", "--num-classes", "7", "--weights", w.toString(),
                "--input", x.toString(), "--output", y.toString(), "--probabilities"));
        assertClose(Npy.readFloat(y).data(), f.floats("probabilities"), 1e-4, "probabilities via files");
    }

    @Test
    void initThenPredict(@TempDir Path dir) throws Exception {
        Path w = dir.resolve("m.safetensors");
        assertEquals(0, run("init", "--arch", "resnet18", "--num-classes", "3", "--grayscale", "--seed", "5", "--output", w.toString()));
        assertEquals(ResNets.create("resnet18", 3, true, 5).stateDict().keySet(), StateDicts.load(w).keySet());
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        img.setRGB(5, 5, 0xff8040);
        Path png = dir.resolve("a.png");
        ImageIO.write(img, "png", png.toFile());
        Path labels = dir.resolve("labels.txt");
        Files.writeString(labels, "cat\ndog\nbird\n");
        assertEquals(0, run("predict", "--arch", "resnet18", "--num-classes", "3", "--grayscale", "--weights", w.toString(),
                "--labels", labels.toString(), "--top", "2", "--json", png.toString()), err.toString());
        String s = out.toString().strip();
        assertTrue(s.startsWith("{\"image\":") && s.contains("\"label\":\"") && s.split("\"class\"").length == 3, s);
    }

    @Test
    void badInputIsOneLineNonZeroAndNoStackTrace(@TempDir Path dir) throws Exception {
        Path w = dir.resolve("ten.safetensors");
        StateDicts.save(ResNets.resnet18(10, false).stateDict(), w);
        Path x = dir.resolve("x.npy");
        Npy.write(Tensor.zeros(1, 3, 32, 32), x);
        Path y = dir.resolve("y.npy");

        int code = run("infer", "--num-classes", "1000", "--weights", w.toString(), "--input", x.toString(), "--output", y.toString());
        assertNotEquals(0, code);
        String e = err.toString().strip();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.contains("ten.safetensors") && e.contains("fc.weight") && e.contains("[10, 512]") && e.contains("[1000, 512]"), e);
        assertFalse(Files.exists(y), "nothing written");

        Path junk = dir.resolve("junk.pth");
        Files.write(junk, new byte[16]);
        code = run("infer", "--num-classes", "10", "--weights", junk.toString(), "--input", x.toString(), "--output", y.toString());
        assertNotEquals(0, code);
        e = err.toString().strip();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.contains("junk.pth") && !e.contains("\tat "), e);

        Npy.write(Tensor.zeros(1, 1, 32, 32), x);
        code = run("infer", "--num-classes", "10", "--weights", w.toString(), "--input", x.toString(), "--output", y.toString());
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("x.npy") && err.toString().contains("[1, 1, 32, 32]"), err.toString());

        code = run("infer", "--num-classes", "10", "--weights", dir.resolve("nope.pth").toString(), "--input", x.toString(),
                "--output", y.toString());
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("nope.pth"), err.toString());

        code = run("summary", "--input-size", "abc");
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("--input-size"), err.toString());
    }
}
