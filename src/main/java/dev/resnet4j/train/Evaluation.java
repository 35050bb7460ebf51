package dev.resnet4j.train;

import dev.resnet4j.data.DataLoader;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.tensor.Tensor;

import java.util.List;
import java.util.Locale;

/** Accuracy, per-class accuracy, mean loss and the confusion matrix of a model on a dataset. */
public record Evaluation(int[][] confusion, double loss, List<String> classNames) {

    /** Runs {@code model} in eval mode over every batch of {@code loader}'s epoch 0 (no shuffling). */
    public static Evaluation run(ResNet model, DataLoader loader) {
        boolean wasTraining = model.isTraining();
        model.eval();
        int classes = model.numClasses;
        int[][] confusion = new int[classes][classes];
        CrossEntropyLoss ce = new CrossEntropyLoss();
        double lossSum = 0;
        long n = 0;
        try (DataLoader.Epoch epoch = loader.epoch(0)) {
            for (DataLoader.Batch b : epoch) {
                Tensor logits = model.forward(b.images());
                lossSum += ce.forward(logits, b.labels()) * b.size();
                n += b.size();
                int[] pred = Functional.argmax(logits);
                for (int i = 0; i < pred.length; i++) {
                    confusion[b.labels()[i]][pred[i]]++;
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return new Evaluation(confusion, n == 0 ? Double.NaN : lossSum / n, loader.dataset().classNames());
    }

    public long total() {
        long t = 0;
        for (int[] row : confusion) {
            for (int v : row) {
                t += v;
            }
        }
        return t;
    }

    public double accuracy() {
        long correct = 0;
        for (int i = 0; i < confusion.length; i++) {
            correct += confusion[i][i];
        }
        long t = total();
        return t == 0 ? Double.NaN : (double) correct / t;
    }

    /** Recall per true class (NaN for a class with no examples). */
    public double[] perClassAccuracy() {
        double[] out = new double[confusion.length];
        for (int i = 0; i < confusion.length; i++) {
            long row = 0;
            for (int v : confusion[i]) {
                row += v;
            }
            out[i] = row == 0 ? Double.NaN : (double) confusion[i][i] / row;
        }
        return out;
    }

    /** A printable report: overall and per-class accuracy and the confusion matrix. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "accuracy %.2f%% (%d images), mean loss %.4f%n", 100 * accuracy(), total(), loss));
        double[] per = perClassAccuracy();
        sb.append("per-class accuracy:\n");
        for (int i = 0; i < per.length; i++) {
            sb.append(String.format(Locale.ROOT, "  %2d %-16s %6.2f%%%n", i, name(i), 100 * per[i]));
        }
        sb.append("confusion matrix (rows: true class, columns: predicted):\n     ");
        for (int j = 0; j < confusion.length; j++) {
            sb.append(String.format("%6d", j));
        }
        sb.append('\n');
        for (int i = 0; i < confusion.length; i++) {
            sb.append(String.format("  %2d ", i));
            for (int v : confusion[i]) {
                sb.append(String.format("%6d", v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private String name(int i) {
        return classNames != null && i < classNames.size() ? classNames.get(i) : Integer.toString(i);
    }
}
