package dev.resnet4j.cli;

import dev.resnet4j.data.Augmentation;
import dev.resnet4j.data.DataLoader;
import dev.resnet4j.data.DataSpec;
import dev.resnet4j.io.StateDicts;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.Module;
import dev.resnet4j.nn.Parameter;
import dev.resnet4j.optim.Adam;
import dev.resnet4j.optim.AdamW;
import dev.resnet4j.optim.LrSchedules;
import dev.resnet4j.optim.Optimizer;
import dev.resnet4j.optim.SGD;
import dev.resnet4j.train.EpochResult;
import dev.resnet4j.train.MetricsLog;
import dev.resnet4j.train.Trainer;
import dev.resnet4j.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** Trains (or fine-tunes) a ResNet and saves its full state dict. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train or fine-tune a ResNet; save the whole state dict (BN statistics included).")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Mixin
    DataOptions data;
    @Mixin
    CommonOptions common;

    @Option(names = "--weights", description = "Start from these weights (non-strict: a different fc is re-initialised).")
    Path weights;
    @Option(names = "--freeze-backbone", description = "Train only fc (fine-tuning).")
    boolean freezeBackbone;
    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--batch-size", defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--optimizer", description = "sgd, adam or adamw. Not given: the default recipe, SGD with lr 0.01, "
            + "momentum 0.9, Nesterov, weight decay 5e-4. Given: what the command line does not set takes PyTorch's "
            + "defaults for that optimizer (momentum 0, no Nesterov, weight decay 0, or 0.01 for adamw; lr 1e-3 for "
            + "adam and adamw, 0.01 for sgd).")
    String optimizer;
    @Option(names = "--lr", description = "Learning rate (the peak for onecycle; default: see --optimizer).")
    Double lr;
    @Option(names = "--momentum", description = "SGD momentum (default: see --optimizer).")
    Double momentum;
    @Option(names = "--nesterov", negatable = true, description = "Nesterov momentum for SGD, or not (default: see --optimizer).")
    Boolean nesterov;
    @Option(names = "--weight-decay", description = "Weight decay on every parameter (default: see --optimizer).")
    Double weightDecay;
    @Option(names = "--schedule", defaultValue = "constant",
            description = "constant, step[:N[:GAMMA]], cosine[:TMAX], onecycle[:PCT] or onecycle-linear[:PCT] (default: ${DEFAULT-VALUE}).")
    String schedule;
    @Option(names = "--label-smoothing", defaultValue = "0", description = "Cross-entropy label smoothing (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;
    @Option(names = "--no-shuffle", description = "Take batches in file order.")
    boolean noShuffle;
    @Option(names = "--no-augment", description = "No random crop / flip.")
    boolean noAugment;
    @Option(names = "--seed", defaultValue = "0", description = "Seed for init, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--save", defaultValue = "model.safetensors",
            description = "Where to save the trained weights (.safetensors or .pth; default: ${DEFAULT-VALUE}).")
    Path save;
    @Option(names = "--checkpoint-dir", description = "Write a checkpoint after every epoch here.")
    Path checkpointDir;
    @Option(names = "--resume", description = "Continue from the checkpoint in --checkpoint-dir.")
    boolean resume;
    @Option(names = "--metrics", description = "CSV of per-epoch metrics (default: next to --save).")
    Path metrics;
    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    /** The default recipe: what `resnet train` runs when no --optimizer is named. See BENCHMARKS.md. */
    static final double RECIPE_LR = 0.01;
    static final double RECIPE_MOMENTUM = 0.9;
    static final double RECIPE_WEIGHT_DECAY = 5e-4;

    @Override
    public Integer call() throws Exception {
        common.apply();
        resolveOptimizerDefaults();
        if (resume && checkpointDir == null) {
            throw new IllegalArgumentException("--resume needs --checkpoint-dir");
        }
        ResNet m = model.build(seed);
        if (weights != null) {
            Module.LoadReport report = ModelOptions.loadLenient(m, weights);
            System.out.println("loaded " + weights + ": " + report.toString().replace("\n", "; "));
        }
        if (freezeBackbone) {
            m.namedParameters().forEach((k, p) -> p.setRequiresGrad(k.startsWith("fc.")));
        }
        DataSpec.Splits splits = data.open(m);
        DataLoader trainLoader = DataLoader.builder(splits.train()).batchSize(batchSize).shuffle(!noShuffle).seed(seed)
                .augmentation(noAugment ? Augmentation.NONE : Augmentation.standard(splits.train().height()))
                .normalization(splits.normalization()).build();
        DataLoader testLoader = DataOptions.testLoader(splits, batchSize);
        Optimizer opt = optimizer(m.namedParameters());
        Path metricsFile = metrics != null ? metrics : siblingOf(save, ".metrics.csv");
        MetricsLog log = resume ? MetricsLog.continuing(metricsFile) : new MetricsLog(metricsFile);
        ProgressDisplay progress = quiet ? new ProgressDisplay.SummaryOnly() : new ProgressDisplay();
        System.out.printf(Locale.ROOT, "training %s on %s: %d images%s, %d epochs, batch %d, %s lr %.3g, %s schedule%n",
                model.arch, data.spec, splits.train().size(), splits.hasTest() ? " (+" + splits.test().size() + " test)" : "",
                epochs, batchSize, optimizer, lr, schedule);
        System.out.printf(Locale.ROOT, "optimizer: %s%n", describeOptimizer());
        Trainer trainer = Trainer.builder(m, trainLoader, opt).testLoader(testLoader).epochs(epochs)
                .schedule(LrSchedules.parse(schedule, lr, epochs, trainLoader.batchesPerEpoch()))
                .labelSmoothing(labelSmoothing).checkpointDir(checkpointDir).resume(resume).seed(seed)
                .listener(TrainingListener.all(progress, log)).build();
        List<EpochResult> history;
        try {
            history = trainer.fit();
        } catch (OutOfMemoryError | RuntimeException e) {
            if (Errors.outOfMemory(e) == null) {
                throw e;
            }
            throw new IllegalStateException("out of memory at batch size " + batchSize
                    + ": use a smaller --batch-size or give the JVM more heap (JAVA_OPTS=-Xmx16g)");
        }
        StateDicts.save(m.stateDict(), save);
        System.out.println("saved " + save + (history.isEmpty() ? " (nothing left to train: the checkpoint was complete)" : "")
                + "; metrics in " + metricsFile);
        return 0;
    }

    /**
     * Fills in what the command line left out: the default recipe when no --optimizer is
     * named, otherwise PyTorch's defaults for the named optimizer (torch.optim.SGD: momentum 0,
     * dampening 0, no Nesterov, weight decay 0; Adam: weight decay 0; AdamW: weight decay 0.01;
     * both lr 1e-3). SGD has no default lr in PyTorch; the recipe's is used.
     */
    void resolveOptimizerDefaults() {
        boolean recipe = optimizer == null;
        optimizer = recipe ? "sgd" : optimizer.toLowerCase(Locale.ROOT);
        boolean sgd = optimizer.equals("sgd");
        if (lr == null) {
            lr = sgd ? RECIPE_LR : 1e-3;
        }
        if (momentum == null) {
            momentum = recipe ? RECIPE_MOMENTUM : 0.0;
        }
        if (nesterov == null) {
            nesterov = recipe;
        }
        if (weightDecay == null) {
            weightDecay = recipe ? RECIPE_WEIGHT_DECAY : optimizer.equals("adamw") ? 0.01 : 0.0;
        }
    }

    String describeOptimizer() {
        return switch (optimizer) {
            case "sgd" -> String.format(Locale.ROOT, "SGD(lr=%s, momentum=%s, nesterov=%s, weight_decay=%s)", lr, momentum,
                    nesterov, weightDecay);
            default -> String.format(Locale.ROOT, "%s(lr=%s, betas=(0.9, 0.999), eps=1e-08, weight_decay=%s)",
                    optimizer.equals("adam") ? "Adam" : "AdamW", lr, weightDecay);
        };
    }

    private Optimizer optimizer(Map<String, Parameter> params) {
        return switch (optimizer) {
            case "sgd" -> new SGD(params, lr, momentum, 0.0, weightDecay, nesterov);
            case "adam" -> new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay, false);
            case "adamw" -> new AdamW(params, lr, 0.9, 0.999, 1e-8, weightDecay, false);
            default -> throw new IllegalArgumentException("--optimizer must be sgd, adam or adamw, got '" + optimizer + "'");
        };
    }

    static Path siblingOf(Path file, String suffix) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name;
        Path parent = file.toAbsolutePath().getParent();
        return parent.resolve(base + suffix);
    }
}
