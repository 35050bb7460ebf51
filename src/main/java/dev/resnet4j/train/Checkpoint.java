package dev.resnet4j.train;

import dev.resnet4j.io.StateDicts;
import dev.resnet4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything needed to continue training exactly: the model's state dict ({@code model.*}),
 * the optimiser's state ({@code optimizer.*}), the number of finished epochs and the data
 * seed ({@code trainer.*}). One .safetensors file, written atomically (temporary file, then
 * rename) by {@link StateDicts#save}, so a kill at any moment leaves the previous checkpoint
 * or the new one, never half of either. The loader's shuffling and augmentation derive from
 * (seed, epoch), so epoch and seed are the whole RNG state.
 */
public record Checkpoint(Map<String, Tensor> model, Map<String, Tensor> optimizer, int epochsDone, long seed) {
    public static final String FILE = "last.safetensors";

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.forEach((k, v) -> all.put("model." + k, v));
        optimizer.forEach((k, v) -> all.put("optimizer." + k, v));
        all.put("trainer.epochs_done", new Tensor(new float[]{epochsDone}, 1));
        // a float holds 24 bits exactly: the 64-bit seed travels as four 16-bit pieces
        float[] s = new float[4];
        for (int i = 0; i < 4; i++) {
            s[i] = (float) ((seed >>> (16 * i)) & 0xFFFF);
        }
        all.put("trainer.seed", new Tensor(s, 4));
        StateDicts.save(all, dir.resolve(FILE));
        removeStaleTemporaries(dir);
    }

    /**
     * A run killed while writing leaves its temporary file ({@code .last.safetensors.*.tmp},
     * named by the atomic writer) behind. It is never read, as only {@link #FILE} is, but it
     * takes disk space; once a checkpoint has been written completely, the leftovers go.
     */
    private static void removeStaleTemporaries(Path dir) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, "." + FILE + ".*.tmp")) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
    }

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    public static Checkpoint load(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        Map<String, Tensor> all = StateDicts.load(file);
        Map<String, Tensor> model = new LinkedHashMap<>();
        Map<String, Tensor> optimizer = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith("model.")) {
                model.put(k.substring(6), v);
            } else if (k.startsWith("optimizer.")) {
                optimizer.put(k.substring(10), v);
            }
        });
        Tensor epochs = all.get("trainer.epochs_done");
        Tensor seedT = all.get("trainer.seed");
        if (epochs == null || seedT == null || seedT.size() != 4) {
            throw new IOException(file + ": not a resnet4j training checkpoint (no trainer.epochs_done / trainer.seed)");
        }
        long seed = 0;
        for (int i = 0; i < 4; i++) {
            seed |= ((long) seedT.data()[i] & 0xFFFF) << (16 * i);
        }
        return new Checkpoint(model, optimizer, (int) epochs.data()[0], seed);
    }
}
