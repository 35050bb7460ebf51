package dev.resnet4j.cli;

import dev.resnet4j.train.EpochResult;
import dev.resnet4j.train.TrainingListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** A progress bar per epoch (images/s, loss, accuracy, time left) and a summary line after it. */
class ProgressDisplay implements TrainingListener {
    /** Only the per-epoch summary line (for --quiet). */
    static final class SummaryOnly extends ProgressDisplay {
        @Override
        public void epochStarted(int epoch, int epochs, int steps) {
        }

        @Override
        public void stepFinished(int epoch, int step, int images, double meanLoss, double accuracy) {
        }
    }

    private ProgressBar bar;
    private long started;

    @Override
    public void epochStarted(int epoch, int epochs, int steps) {
        started = System.nanoTime();
        bar = new ProgressBarBuilder().setTaskName(String.format("epoch %d/%d", epoch + 1, epochs))
                .setInitialMax(steps).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                .setSpeedUnit(ChronoUnit.SECONDS).setUnit(" batches", 1).showSpeed().setMaxRenderedLength(120)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err, 118))
                .build();
    }

    @Override
    public void stepFinished(int epoch, int step, int images, double meanLoss, double accuracy) {
        double secs = (System.nanoTime() - started) / 1e9;
        bar.stepTo(step);
        bar.setExtraMessage(String.format(Locale.ROOT, "%.0f img/s loss %.4f acc %.1f%%", images / secs, meanLoss, 100 * accuracy));
    }

    @Override
    public void epochFinished(EpochResult r) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        System.out.printf(Locale.ROOT, "epoch %d: train loss %.4f acc %.2f%% | test loss %s acc %s | %.1fs, %.0f img/s, lr %.3g%n",
                r.epoch(), r.trainLoss(), 100 * r.trainAccuracy(),
                Double.isNaN(r.testLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", r.testLoss()),
                Double.isNaN(r.testAccuracy()) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * r.testAccuracy()),
                r.seconds(), r.imagesPerSecond(), r.lr());
    }
}
