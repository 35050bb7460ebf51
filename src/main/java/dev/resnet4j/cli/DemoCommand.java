package dev.resnet4j.cli;

import dev.resnet4j.data.Augmentation;
import dev.resnet4j.data.DataLoader;
import dev.resnet4j.data.Dataset;
import dev.resnet4j.data.DatasetLocator;
import dev.resnet4j.data.FashionMnist;
import dev.resnet4j.data.Normalization;
import dev.resnet4j.data.Subset;
import dev.resnet4j.io.StateDicts;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.optim.LrSchedules;
import dev.resnet4j.optim.SGD;
import dev.resnet4j.tensor.Tensor;
import dev.resnet4j.train.EpochResult;
import dev.resnet4j.train.Evaluation;
import dev.resnet4j.train.MetricsLog;
import dev.resnet4j.train.Trainer;
import dev.resnet4j.train.TrainingListener;
import dev.resnet4j.viz.ArchitectureDiagram;
import dev.resnet4j.viz.Charts;
import dev.resnet4j.viz.EpochMetrics;
import dev.resnet4j.viz.GradCam;
import dev.resnet4j.viz.ImageGrid;
import dev.resnet4j.viz.Images;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * The main job in one command: train resnet18 (grayscale) on Fashion-MNIST for a few minutes,
 * evaluate, save, draw the pictures, classify a few test images, list what was written.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train resnet18 on Fashion-MNIST for a few minutes, evaluate, save, draw pictures, classify test images.")
final class DemoCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--output", defaultValue = "demo-output", description = "Directory for everything written (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--epochs", defaultValue = "4", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--train-images", defaultValue = "10000",
            description = "Training images taken from the full set when it is installed (default: ${DEFAULT-VALUE}; the shipped subset has 2000).")
    int trainImages;
    @Option(names = "--test-images", defaultValue = "2000", description = "Test images evaluated (default: ${DEFAULT-VALUE}).")
    int testImages;
    @Option(names = "--data-dir", description = "Where to look for Fashion-MNIST first.")
    Path dataDir;
    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        common.apply();
        Files.createDirectories(out);
        Dataset train;
        Dataset test;
        String source;
        try {
            train = new Subset(FashionMnist.load(dataDir, true), trainImages);
            test = new Subset(FashionMnist.load(dataDir, false), testImages);
            source = "Fashion-MNIST (first " + train.size() + " training and " + test.size() + " test images of the full set)";
        } catch (DatasetLocator.DatasetNotFoundException e) {
            train = FashionMnist.subset(true);
            test = new Subset(FashionMnist.subset(false), testImages);
            source = "the Fashion-MNIST subset shipped with resnet4j (" + train.size() + " training, " + test.size()
                    + " test images; install dataset-fashion-mnist for the full set)";
        }
        System.out.println("resnet4j demo: resnet18, 1 input channel, 10 classes, on " + source);
        ResNet model = ResNets.create("resnet18", 10, true, seed);
        int batch = 128;
        Normalization norm = Normalization.FASHION_MNIST;
        DataLoader trainLoader = DataLoader.builder(train).batchSize(batch).shuffle(true).seed(seed)
                .augmentation(Augmentation.standard(train.height())).normalization(norm).build();
        DataLoader testLoader = DataLoader.builder(test).batchSize(256).shuffle(false).normalization(norm).build();
        SGD sgd = new SGD(model.namedParameters(), 0.05, 0.9, 0.0, 5e-4, true);
        MetricsLog log = new MetricsLog(out.resolve("metrics.csv"));
        ProgressDisplay progress = new ProgressDisplay();
        Trainer trainer = Trainer.builder(model, trainLoader, sgd).testLoader(testLoader).epochs(epochs).seed(seed)
                .schedule(LrSchedules.parse("onecycle", 0.03, epochs, trainLoader.batchesPerEpoch()))
                .listener(TrainingListener.all(progress, log)).build();
        List<EpochResult> history = trainer.fit();

        Path weights = out.resolve("fashion-resnet18.safetensors");
        StateDicts.save(model.stateDict(), weights);
        Evaluation ev = Evaluation.run(model, testLoader);
        System.out.print(ev.report());

        List<EpochMetrics> curves = new ArrayList<>();
        for (EpochResult r : history) {
            curves.add(new EpochMetrics(r.epoch(), r.trainLoss(), r.trainAccuracy(), r.testLoss(), r.testAccuracy()));
        }
        Charts.trainingCurves(curves, out.resolve("training-curves.png"));
        Charts.confusionMatrix(ev.confusion(), test.classNames(), out.resolve("confusion-matrix.png"));
        ArchitectureDiagram.write(model, new int[]{1, 1, 28, 28}, out.resolve("architecture.svg"));

        // a handful of test images: predictions printed and drawn, mistakes marked
        int shown = Math.min(32, test.size());
        int pixels = test.channels() * test.height() * test.width();
        Tensor raw = Tensor.zeros(shown, test.channels(), test.height(), test.width());
        int[] truth = new int[shown];
        for (int i = 0; i < shown; i++) {
            test.get(i, raw.data(), i * pixels);
            truth[i] = test.label(i);
        }
        Tensor x = raw.copy();
        for (int i = 0; i < shown; i++) {
            norm.apply(x.data(), i * pixels, test.channels(), test.height() * test.width());
        }
        model.eval();
        Tensor probs = Functional.softmax(model.forward(x));
        int[] pred = Functional.argmax(probs);
        ImageGrid.write(raw, pred, truth, test.classNames(), out.resolve("predictions.png"));
        System.out.println("classified test images:");
        for (int i = 0; i < 8; i++) {
            System.out.printf(Locale.ROOT, "  #%d %-12s -> %-12s %5.1f%% %s%n", i, test.classNames().get(truth[i]),
                    test.classNames().get(pred[i]), 100 * probs.data()[i * 10 + pred[i]], pred[i] == truth[i] ? "" : "(wrong)");
        }
        // Grad-CAM for the first test image: which regions drove the prediction
        Tensor one = new Tensor(java.util.Arrays.copyOf(x.data(), pixels), 1, test.channels(), test.height(), test.width());
        GradCam.Result cam = GradCam.compute(model, one, -1, GradCam.defaultStage(model, test.height(), test.width()));
        BufferedImage img = Images.fromTensor(raw, 0);
        GradCam.overlay(img, cam.cam(), "Grad-CAM: " + test.classNames().get(cam.targetClass()), out.resolve("gradcam.png"));

        System.out.println("files written:");
        try (Stream<Path> files = Files.list(out)) {
            files.sorted().forEach(p -> System.out.println("  " + p));
        }
        return 0;
    }
}
