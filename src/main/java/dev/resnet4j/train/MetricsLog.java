package dev.resnet4j.train;

import dev.resnet4j.io.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes the per-epoch metrics as CSV, rewritten atomically after every epoch. */
public final class MetricsLog implements TrainingListener {
    private final Path file;
    private final List<EpochResult> rows = new ArrayList<>();

    public MetricsLog(Path file) {
        this.file = file;
    }

    public List<EpochResult> rows() {
        return List.copyOf(rows);
    }

    @Override
    public void epochFinished(EpochResult r) {
        rows.add(r);
        StringBuilder sb = new StringBuilder("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second,lr\n");
        for (EpochResult e : rows) {
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f,%.6g%n", e.epoch(), e.trainLoss(),
                    e.trainAccuracy(), e.testLoss(), e.testAccuracy(), e.seconds(), e.imagesPerSecond(), e.lr()));
        }
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            AtomicFiles.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
