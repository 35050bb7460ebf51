package dev.resnet4j.io;

import dev.resnet4j.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Files written by PyTorch's {@code torch.save}: the zip format (PyTorch 1.6 and later) and
 * the legacy format of concatenated pickles followed by raw storages.
 *
 * <p>Both hold a pickle describing the object and, separately, the raw bytes of each
 * storage. The pickle is read by the restricted {@link Pickle}, whose globals here mean only
 * "ordered dict", "tensor view of a storage" and "storage of dtype X"; tensors are
 * materialised as contiguous float32 after checking every view against its storage.
 *
 * <p>Accepted roots: a state dict (an ordered dict of tensors), or a checkpoint dict whose
 * {@code state_dict} or {@code model} entry is one.
 */
public final class TorchFiles {
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;

    static final Map<String, DType> STORAGES = Map.of(
            "FloatStorage", DType.F32, "HalfStorage", DType.F16, "BFloat16Storage", DType.BF16,
            "DoubleStorage", DType.F64, "LongStorage", DType.I64, "IntStorage", DType.I32,
            "ShortStorage", DType.I16, "CharStorage", DType.I8, "ByteStorage", DType.U8,
            "BoolStorage", DType.BOOL);

    private TorchFiles() {
    }

    /** Reads a state dict saved by {@code torch.save}, tensors converted to float32. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        return parse(AtomicFiles.readAll(file), FormatException.nameOf(file));
    }

    static Map<String, Tensor> parse(byte[] bytes, String source) throws FormatException {
        if (ZipArchive.looksLikeZip(bytes)) {
            return parseZip(bytes, source);
        }
        if (bytes.length > 0 && (bytes[0] & 0xff) == 0x80) {
            return parseLegacy(bytes, source);
        }
        throw new FormatException(source, "not a torch.save file (neither a zip archive nor a pickle)");
    }

    // ---- what the pickle describes ----

    /** A storage named by a persistent id; its bytes are found once the pickle is read. */
    record StorageRef(String key, DType dtype, long rootNumel, long viewOffset, long numel) {
    }

    /** {@code _rebuild_tensor_v2}: a view of a storage. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** The storage's bytes: where they start in {@code bytes}, and how many elements. */
    private record StorageData(byte[] bytes, int start, long numel) {
    }

    private interface StorageSource {
        StorageData get(StorageRef ref) throws FormatException;
    }

    /** Interprets the globals a state dict needs; everything else is refused by name. */
    private static class TorchResolver implements Pickle.Resolver {
        private final ByteReader at;
        private final Map<String, DType> keyTypes = new HashMap<>();

        TorchResolver(ByteReader at) {
            this.at = at;
        }

        @Override
        public boolean allows(Pickle.Global g) {
            return switch (g.module()) {
                case "collections" -> g.name().equals("OrderedDict");
                case "torch._utils" -> g.name().equals("_rebuild_tensor_v2") || g.name().equals("_rebuild_tensor")
                        || g.name().equals("_rebuild_parameter") || g.name().equals("_rebuild_parameter_with_state");
                case "torch" -> STORAGES.containsKey(g.name()) || g.name().equals("Size");
                case "_codecs" -> g.name().equals("encode");
                default -> false;
            };
        }

        @Override
        public Object call(Pickle.Global g, Pickle.Tuple args) throws FormatException {
            String name = g.toString();
            switch (name) {
                case "collections.OrderedDict": {
                    Map<Object, Object> d = new LinkedHashMap<>();
                    if (args.size() == 0) {
                        return d;
                    }
                    throw at.fail("OrderedDict called with arguments");
                }
                case "torch._utils._rebuild_tensor_v2":
                    if (args.size() < 6 || args.size() > 7) {
                        throw at.fail(name + " called with " + args.size() + " arguments instead of 6 or 7");
                    }
                    return tensor(args, name);
                case "torch._utils._rebuild_tensor":
                    if (args.size() != 4) {
                        throw at.fail(name + " called with " + args.size() + " arguments instead of 4");
                    }
                    return tensor(args, name);
                case "torch._utils._rebuild_parameter":
                case "torch._utils._rebuild_parameter_with_state":
                    if (args.size() < 3 || !(args.get(0) instanceof TensorRef t)) {
                        throw at.fail(name + " called without a tensor");
                    }
                    return t;
                case "torch.Size":
                    if (args.size() == 1 && args.get(0) instanceof Pickle.Tuple t) {
                        return t;
                    }
                    throw at.fail("torch.Size called without a tuple");
                case "_codecs.encode":
                    // Protocol-2 pickles of Python 3 bytes: _codecs.encode(text, 'latin1').
                    if (args.size() == 2 && args.get(0) instanceof String s && "latin1".equals(args.get(1))) {
                        return s.getBytes(StandardCharsets.ISO_8859_1);
                    }
                    throw at.fail("_codecs.encode called with unexpected arguments");
                default:
                    throw at.fail("pickle calls " + name + ", which does not build a state dict value");
            }
        }

        private TensorRef tensor(Pickle.Tuple args, String name) throws FormatException {
            if (!(args.get(0) instanceof StorageRef storage)) {
                throw at.fail(name + " called without a storage");
            }
            if (!(args.get(1) instanceof Long offset)) {
                throw at.fail(name + " storage offset is not an integer");
            }
            return new TensorRef(storage, offset, longs(args.get(2), name + " size"), longs(args.get(3), name + " stride"));
        }

        private long[] longs(Object o, String what) throws FormatException {
            if (!(o instanceof Pickle.Tuple t) || t.size() > 64) {
                throw at.fail(what + " is not a tuple of at most 64 integers");
            }
            long[] out = new long[t.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(t.get(i) instanceof Long v)) {
                    throw at.fail(what + " contains a " + Pickle.typeName(t.get(i)) + " instead of an integer");
                }
                out[i] = v;
            }
            return out;
        }

        @Override
        public Object build(Object obj, Object state) throws FormatException {
            // OrderedDict carries attributes such as _metadata, Parameters may carry a __dict__:
            // neither matters for the values, so they are accepted and dropped.
            if (obj instanceof LinkedHashMap || obj instanceof TensorRef) {
                return obj;
            }
            throw at.fail("pickle BUILD on a " + Pickle.typeName(obj) + " is not allowed in a state dict");
        }

        @Override
        public Object persistentLoad(Object pid) throws FormatException {
            if (!(pid instanceof Pickle.Tuple t) || t.size() < 5 || t.size() > 6) {
                throw at.fail("persistent id is not a storage tuple");
            }
            Object kind = t.get(0) instanceof byte[] b ? new String(b, StandardCharsets.ISO_8859_1) : t.get(0);
            if (!"storage".equals(kind)) {
                throw at.fail("persistent id of kind other than 'storage' is not allowed");
            }
            if (!(t.get(1) instanceof Pickle.Global g) || !g.module().equals("torch") || !STORAGES.containsKey(g.name())) {
                throw at.fail("persistent id does not name a storage type");
            }
            if (!(t.get(2) instanceof String key) || !(t.get(3) instanceof String) || !(t.get(4) instanceof Long numel)
                    || numel < 0) {
                throw at.fail("persistent id for a storage is malformed");
            }
            DType dtype = STORAGES.get(g.name());
            DType previous = keyTypes.putIfAbsent(key, dtype);
            if (previous != null && previous != dtype) {
                throw at.fail("storage '" + Json.abbreviate(key) + "' is used as both " + previous + " and " + dtype);
            }
            long viewOffset = 0;
            long viewNumel = numel;
            if (t.size() == 6 && t.get(5) != Pickle.NONE) {
                // Legacy storage views: (view_key, offset, view_size) into the root storage.
                if (!(t.get(5) instanceof Pickle.Tuple v) || v.size() != 3 || !(v.get(1) instanceof Long off)
                        || !(v.get(2) instanceof Long size) || off < 0 || size < 0 || size > numel - off) {
                    throw at.fail("storage view metadata is malformed");
                }
                viewOffset = off;
                viewNumel = size;
            }
            return new StorageRef(key, dtype, numel, viewOffset, viewNumel);
        }
    }

    // ---- zip format ----

    static Map<String, Tensor> parseZip(byte[] bytes, String source) throws FormatException {
        ZipArchive zip = ZipArchive.open(bytes, source);
        String prefix = null;
        for (String name : zip.entries().keySet()) {
            int slash = name.indexOf('/');
            if (slash <= 0) {
                throw new FormatException(source, "zip entry '" + Json.abbreviate(name) + "' is outside the archive folder");
            }
            String p = name.substring(0, slash + 1);
            if (prefix == null) {
                prefix = p;
            } else if (!prefix.equals(p)) {
                throw new FormatException(source, "zip entries have different folders '" + Json.abbreviate(prefix)
                        + "' and '" + Json.abbreviate(p) + "'");
            }
        }
        if (prefix == null) {
            throw new FormatException(source, "zip archive is empty");
        }
        ZipArchive.Entry pkl = zip.entries().get(prefix + "data.pkl");
        if (pkl == null) {
            throw new FormatException(source, "zip archive has no " + prefix + "data.pkl (not a torch.save file?)");
        }
        ZipArchive.Entry order = zip.entries().get(prefix + "byteorder");
        if (order != null) {
            String bo = new String(zip.read(order), StandardCharsets.US_ASCII).strip();
            if (!bo.equals("little")) {
                throw new FormatException(source, "byteorder '" + Json.abbreviate(bo) + "' is not supported (only little)");
            }
        }
        byte[] pickle = zip.read(pkl);
        ByteReader in = new ByteReader(pickle, source);
        Object root = Pickle.load(in, new TorchResolver(in));
        Map<String, TensorRef> refs = stateDict(root, in);
        String storageDir = prefix + "data/";
        Map<String, byte[]> cache = new HashMap<>();
        return materialise(refs, in, bytes.length, ref -> {
            byte[] data = cache.get(ref.key());
            if (data == null) {
                ZipArchive.Entry e = zip.entries().get(storageDir + ref.key());
                if (e == null) {
                    throw in.fail("storage '" + Json.abbreviate(ref.key()) + "' has no entry " + Json.abbreviate(storageDir + ref.key()));
                }
                data = zip.read(e);
                cache.put(ref.key(), data);
            }
            if (data.length % ref.dtype().size != 0) {
                throw in.fail("storage '" + Json.abbreviate(ref.key()) + "' has " + data.length
                        + " bytes, not a whole number of " + ref.dtype() + " elements");
            }
            return new StorageData(data, 0, data.length / ref.dtype().size);
        });
    }

    // ---- legacy format ----

    static Map<String, Tensor> parseLegacy(byte[] bytes, String source) throws FormatException {
        ByteReader in = new ByteReader(bytes, source);
        Pickle.Resolver plain = new TorchResolver(in) {
            @Override
            public boolean allows(Pickle.Global g) {
                return false;
            }
        };
        Object magic = Pickle.load(in, plain);
        if (!LEGACY_MAGIC.equals(magic instanceof Long l ? BigInteger.valueOf(l) : magic)) {
            throw in.fail("pickle is not a torch.save file (legacy magic number missing)");
        }
        Object protocol = Pickle.load(in, plain);
        if (!Long.valueOf(LEGACY_PROTOCOL).equals(protocol)) {
            throw in.fail("legacy torch.save protocol " + protocol + " is not supported");
        }
        Object sysInfo = Pickle.load(in, plain);
        if (!(sysInfo instanceof Map<?, ?> info)) {
            throw in.fail("legacy sys_info is not a dict");
        }
        if (Boolean.FALSE.equals(info.get("little_endian"))) {
            throw in.fail("big-endian legacy files are not supported");
        }
        TorchResolver resolver = new TorchResolver(in);
        Object root = Pickle.load(in, resolver);
        Map<String, TensorRef> refs = stateDict(root, in);
        Object keys = Pickle.load(in, plain);
        if (!(keys instanceof List<?> keyList)) {
            throw in.fail("legacy storage key list is not a list");
        }
        // Every storage the pickle named, including ones outside the chosen dict (optimizer state).
        Map<String, DType> dtypes = resolver.keyTypes;
        // Storages follow in key order, each an int64 element count and then the raw bytes.
        Map<String, StorageData> storages = new HashMap<>();
        for (Object k : keyList) {
            if (!(k instanceof String key)) {
                throw in.fail("legacy storage key is not a string");
            }
            long numel = in.i64();
            DType dtype = dtypes.get(key);
            if (dtype == null) {
                throw in.fail("legacy storage '" + Json.abbreviate(key) + "' is not referenced by the pickle");
            }
            int elemSize = dtype.size;
            if (numel < 0 || numel > in.remaining() / elemSize) {
                throw in.fail("legacy storage '" + Json.abbreviate(key) + "' declares " + numel
                        + " elements but only " + in.remaining() + " bytes remain");
            }
            int start = in.skip(numel * elemSize, "storage");
            if (storages.put(key, new StorageData(bytes, start, numel)) != null) {
                throw in.fail("legacy storage '" + Json.abbreviate(key) + "' appears twice");
            }
        }
        return materialise(refs, in, bytes.length, ref -> {
            StorageData d = storages.get(ref.key());
            if (d == null) {
                throw in.fail("storage '" + Json.abbreviate(ref.key()) + "' is missing from the file");
            }
            return d;
        });
    }

    // ---- shared ----

    /** Finds the dict of tensors: the root itself or a checkpoint's state_dict / model entry. */
    private static Map<String, TensorRef> stateDict(Object root, ByteReader at) throws FormatException {
        Object current = root;
        for (int depth = 0; depth < 3; depth++) {
            if (!(current instanceof Map<?, ?> map)) {
                throw at.fail("file holds a " + Pickle.typeName(current) + ", not a state dict");
            }
            boolean allTensors = true;
            for (Object v : map.values()) {
                allTensors &= v instanceof TensorRef;
            }
            if (allTensors) {
                Map<String, TensorRef> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw at.fail("state dict key of type " + Pickle.typeName(e.getKey()) + " is not a string");
                    }
                    out.put(key, (TensorRef) e.getValue());
                }
                return out;
            }
            if (map.get("state_dict") instanceof Map<?, ?> inner) {
                current = inner;
            } else if (map.get("model") instanceof Map<?, ?> inner) {
                current = inner;
            } else {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getValue() instanceof TensorRef)) {
                        throw at.fail("entry '" + Json.abbreviate(String.valueOf(e.getKey())) + "' is a "
                                + Pickle.typeName(e.getValue()) + ", not a tensor (and there is no state_dict or model entry)");
                    }
                }
            }
        }
        throw at.fail("state dict is nested too deeply");
    }

    private static Map<String, Tensor> materialise(Map<String, TensorRef> refs, ByteReader at, long fileLength,
                                                   StorageSource storages) throws FormatException {
        // Views may share a storage; cap the total so that many views of one storage cannot
        // turn a small file into a huge allocation.
        long budget = 2 * fileLength + (1 << 20);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
            TensorRef t = e.getValue();
            StorageRef s = t.storage();
            StorageData data = storages.get(s);
            if (data.numel() != s.rootNumel()) {
                throw at.fail("storage '" + Json.abbreviate(s.key()) + "' holds " + data.numel()
                        + " elements but its persistent id declares " + s.rootNumel());
            }
            String what = "tensor '" + Json.abbreviate(e.getKey()) + "'";
            int[] shape = Strided.checkView(t.size(), t.stride(), t.offset(), s.numel(), at, what);
            long numel = Tensor.numel(shape);
            budget -= numel;
            if (budget < 0) {
                throw at.fail("tensors hold more elements than a file of " + fileLength + " bytes can plausibly describe");
            }
            int start = (int) (data.start() + s.viewOffset() * s.dtype().size);
            byte[] raw = Strided.gather(data.bytes(), start, s.dtype().size, shape, t.stride(), t.offset());
            out.put(e.getKey(), new Tensor(s.dtype().toFloats(raw, 0, (int) numel), shape));
        }
        return out;
    }

    // ---- writing ----

    /**
     * Writes a zip-format file that {@code torch.load(path, weights_only=True)} reads (PyTorch
     * 1.13 and later): float32 storages, int64 for {@code *num_batches_tracked}.
     */
    public static void write(Map<String, Tensor> state, Path file) throws IOException {
        AtomicFiles.write(file, out -> writeTo(state, out));
    }

    static void writeTo(Map<String, Tensor> state, OutputStream out) throws IOException {
        String prefix = "archive/";
        ZipArchive.Writer zip = new ZipArchive.Writer(out);
        zip.add(prefix + "data.pkl", dataPickle(state));
        zip.add(prefix + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        int i = 0;
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream(e.getValue().size() * 8);
            if (Safetensors.isIntegerBuffer(e.getKey())) {
                Safetensors.writeLongs(e.getValue().data(), buf);
            } else {
                Safetensors.writeFloats(e.getValue().data(), buf);
            }
            zip.add(prefix + "data/" + i++, buf.toByteArray());
        }
        zip.add(prefix + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
        zip.finish();
    }

    /** Protocol 2, using only opcodes PyTorch 1.13's weights-only unpickler accepts. */
    private static byte[] dataPickle(Map<String, Tensor> state) {
        PickleWriter p = new PickleWriter();
        p.proto(2);
        p.global("collections", "OrderedDict");
        p.emptyTuple();
        p.reduce();
        p.mark();
        int i = 0;
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor t = e.getValue();
            boolean longs = Safetensors.isIntegerBuffer(e.getKey());
            p.unicode(e.getKey());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.mark();
            p.mark();
            p.unicode("storage");
            p.global("torch", longs ? "LongStorage" : "FloatStorage");
            p.unicode(Integer.toString(i++));
            p.unicode("cpu");
            p.integer(t.size());
            p.tuple();
            p.persid();
            p.integer(0);
            int[] shape = t.shape();
            long[] strides = Strided.contiguousStrides(shape);
            p.mark();
            for (int d : shape) {
                p.integer(d);
            }
            p.tuple();
            p.mark();
            for (long s : strides) {
                p.integer(s);
            }
            p.tuple();
            p.bool(false);
            p.global("collections", "OrderedDict");
            p.emptyTuple();
            p.reduce();
            p.tuple();
            p.reduce();
        }
        p.setItems();
        p.stop();
        return p.bytes();
    }

    /** Emits pickle opcodes; only what {@link #dataPickle} needs. */
    private static final class PickleWriter {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void proto(int v) {
            out.write(0x80);
            out.write(v);
        }

        void global(String module, String name) {
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }

        void unicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            int32(b.length);
            out.writeBytes(b);
        }

        void integer(long v) {
            if (v >= 0 && v < 256) {
                out.write('K');
                out.write((int) v);
            } else if (v >= 0 && v < 65536) {
                out.write('M');
                out.write((int) v & 0xff);
                out.write((int) (v >>> 8) & 0xff);
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                out.write('J');
                int32((int) v);
            } else {
                out.write(0x8a);
                out.write(8);
                for (int i = 0; i < 8; i++) {
                    out.write((int) (v >>> (8 * i)) & 0xff);
                }
            }
        }

        void int32(int v) {
            for (int i = 0; i < 4; i++) {
                out.write((v >>> (8 * i)) & 0xff);
            }
        }

        void bool(boolean v) {
            out.write(v ? 0x88 : 0x89);
        }

        void mark() {
            out.write('(');
        }

        void tuple() {
            out.write('t');
        }

        void emptyTuple() {
            out.write(')');
        }

        void reduce() {
            out.write('R');
        }

        void persid() {
            out.write('Q');
        }

        void setItems() {
            out.write('u');
        }

        void stop() {
            out.write('.');
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
