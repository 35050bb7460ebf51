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

    /**
     * For a resumed run: keeps the rows already in {@code file} (the epochs before the
     * checkpoint), so the CSV covers the whole training; an epoch trained again replaces its row.
     * A missing or unreadable file starts empty.
     */
    public static MetricsLog continuing(Path file) {
        MetricsLog log = new MetricsLog(file);
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.split(",");
                if (f.length == 8) {
                    log.rows.add(new EpochResult(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                            Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]),
                            Double.parseDouble(f[6]), Double.parseDouble(f[7])));
                }
            }
        } catch (IOException | NumberFormatException e) {
            log.rows.clear(); // not ours or damaged: the new run's rows replace it
        }
        return log;
    }

    public List<EpochResult> rows() {
        return List.copyOf(rows);
    }

    @Override
    public void epochFinished(EpochResult r) {
        rows.removeIf(e -> e.epoch() >= r.epoch());
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
