package dev.resnet4j.cli;

import dev.resnet4j.io.Npy;
import dev.resnet4j.io.StateDicts;
import dev.resnet4j.tensor.Tensor;
import dev.resnet4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue item 6: {@code resnet train} killed with SIGKILL at several moments (right after the
 * first checkpoint, mid-epoch, in the middle of writing a checkpoint) leaves
 * {@code last.safetensors} intact and loadable, and {@code --resume} then ends with weights
 * equal, bit for bit, to those of a run that was never interrupted.
 *
 * <p>The children run with {@code -Dresnet4j.gemm.scalar=true}: sgemm otherwise switches from
 * its plain-Java kernel to the vector one (fused multiply-add, other rounding) once a
 * background warm-up finishes, a moment that differs from one JVM to the next, so two
 * uninterrupted runs need not agree to the last bit either.
 */
class CrashSafetyTest {
    private static final int EPOCHS = 4;
    private static final long DEADLINE_MS = 90_000;

    @TempDir
    Path dir;

    private final List<Process> children = new ArrayList<>();

    @Test
    void killedAtAnyMomentKeepsTheCheckpointAndResumesToTheSameWeights() throws Exception {
        Path x = dir.resolve("X.npy");
        Path y = dir.resolve("y.npy");
        writeData(x, y, 24, 16); // three steps of 8 per epoch
        try {
            // The uninterrupted run, alongside the interrupted one (each on one kernel thread).
            Path refSave = dir.resolve("reference.safetensors");
            Process reference = start("reference", dir.resolve("ref-ckpt"), refSave, x, y);

            Path ckpt = dir.resolve("ckpt");
            Path save = dir.resolve("resumed.safetensors");

            // 1. Right after the first checkpoint appears.
            Process p = start("run1", ckpt, save, x, y);
            await(p, "first checkpoint", () -> Checkpoint.exists(ckpt));
            kill(p);
            int done = assertIntact(ckpt, "killed right after the first checkpoint");
            assertTrue(done >= 1);

            // 2. Mid-epoch: a moment after the next checkpoint, before the one after it.
            p = start("run2", ckpt, save, x, y);
            FileTime seen = Files.getLastModifiedTime(ckpt.resolve(Checkpoint.FILE));
            await(p, "a new checkpoint", () -> modifiedSince(ckpt, seen));
            Thread.sleep(300);
            kill(p);
            int done2 = assertIntact(ckpt, "killed mid-epoch");
            assertTrue(done2 > done && done2 < EPOCHS, "epochs done " + done2);

            // 3. While a checkpoint is being written: its temporary file is there, the rename not yet done.
            p = start("run3", ckpt, save, x, y);
            Process writer = p;
            await(p, "a checkpoint being written", () -> !temporaries(ckpt).isEmpty() || !writer.isAlive());
            kill(p);
            List<Path> strays = temporaries(ckpt);
            int done3 = assertIntact(ckpt, "killed while writing a checkpoint");
            assertFalse(strays.isEmpty(), "the kill should have landed mid-write (timing); log:\n" + log("run3"));
            assertTrue(done3 >= done2 && done3 < EPOCHS, "epochs done " + done3);
            assertFalse(Files.exists(save), "no --save output from a killed run");

            // 4. Resume to the end.
            p = start("run4", ckpt, save, x, y);
            assertTrue(p.waitFor(DEADLINE_MS, TimeUnit.MILLISECONDS), "resume did not finish");
            assertEquals(0, p.exitValue(), log("run4"));
            assertTrue(temporaries(ckpt).isEmpty(), "a complete checkpoint clears the killed runs' temporaries: "
                    + temporaries(ckpt));
            assertEquals(EPOCHS, Checkpoint.load(ckpt).epochsDone());

            assertTrue(reference.waitFor(DEADLINE_MS, TimeUnit.MILLISECONDS), "reference run did not finish");
            assertEquals(0, reference.exitValue(), log("reference"));
            Map<String, Tensor> expected = StateDicts.load(refSave);
            Map<String, Tensor> actual = StateDicts.load(save);
            assertEquals(expected.keySet(), actual.keySet());
            for (String k : expected.keySet()) {
                assertArrayEquals(expected.get(k).data(), actual.get(k).data(), k + " after kills and resumes");
            }
            // The metrics CSV covers every epoch once, with the uninterrupted run's losses and rates.
            assertEquals(metrics(dir.resolve("reference.metrics.csv")), metrics(dir.resolve("resumed.metrics.csv")));
        } finally {
            for (Process c : children) {
                c.destroyForcibly();
            }
        }
    }

    /** The CSV without its timing columns (seconds, images per second). */
    private static List<String> metrics(Path csv) throws IOException {
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(csv)) {
            String[] f = line.split(",");
            rows.add(String.join(",", f[0], f[1], f[2], f[3], f[4], f[7]));
        }
        assertEquals(EPOCHS + 1, rows.size(), csv + ": " + rows);
        return rows;
    }

    private Process start(String name, Path ckpt, Path save, Path x, Path y) throws IOException {
        Process p = ChildCli.start(dir.resolve(name + ".log"), List.of("-Dresnet4j.gemm.scalar=true"), "train", "--grayscale", "--num-classes", "10",
                "--data", "npy:" + x + "," + y, "--epochs", Integer.toString(EPOCHS), "--batch-size", "8", "--no-augment",
                "--checkpoint-dir", ckpt.toString(), "--save", save.toString(), "--resume", "--threads", "1", "--quiet",
                "--seed", "3");
        children.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        return Files.readString(dir.resolve(name + ".log"));
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL on Linux and macOS: no shutdown hooks, no finally blocks
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the killed child did not end");
    }

    private static void await(Process p, String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.currentTimeMillis() + DEADLINE_MS;
        while (!condition.getAsBoolean()) {
            if (!p.isAlive()) {
                throw new AssertionError("the child ended (exit " + p.exitValue() + ") before " + what);
            }
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("no " + what + " within " + DEADLINE_MS + " ms");
            }
            Thread.sleep(1);
        }
    }

    /** The checkpoint loads and is a complete one; returns its epochs done. */
    private static int assertIntact(Path ckpt, String when) throws IOException {
        assertTrue(Checkpoint.exists(ckpt), when + ": no checkpoint");
        Checkpoint c = Checkpoint.load(ckpt);
        assertEquals(3, c.seed(), when);
        assertTrue(c.model().containsKey("fc.weight") && !c.optimizer().isEmpty(), when);
        return c.epochsDone();
    }

    private static boolean modifiedSince(Path ckpt, FileTime seen) {
        try {
            return Files.getLastModifiedTime(ckpt.resolve(Checkpoint.FILE)).compareTo(seen) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The atomic writer's temporary files for the checkpoint. */
    private static List<Path> temporaries(Path ckpt) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(ckpt, "." + Checkpoint.FILE + ".*.tmp")) {
            s.forEach(found::add);
        } catch (IOException e) {
            // not there yet
        }
        return found;
    }

    /** {@code n} random 1×side×side images in [0, 1], labels 0..9 in turn. */
    static void writeData(Path x, Path y, int n, int side) throws IOException {
        Random r = new Random(1);
        float[] pixels = new float[n * side * side];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = r.nextFloat();
        }
        Npy.write(new Tensor(pixels, n, 1, side, side), x);
        long[] labels = new long[n];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 10;
        }
        Npy.writeLongs(labels, new int[]{n}, y);
    }
}
