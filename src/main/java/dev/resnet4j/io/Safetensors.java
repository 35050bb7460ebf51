package dev.resnet4j.io;

import dev.resnet4j.tensor.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data.
 *
 * <p>Reading is strict as the specification asks: byte ranges must tile the data section
 * exactly (no overlap, no hole, nothing past the end) and agree with shape times dtype size.
 */
public final class Safetensors {
    /** The specification's own limit on the header size. */
    static final long MAX_HEADER = 100L * 1024 * 1024;

    private Safetensors() {
    }

    /** Reads every tensor, converted to float32, in the header's order. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        return parse(AtomicFiles.readAll(file), FormatException.nameOf(file));
    }

    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {
    }

    /** Parses an in-memory safetensors file; {@code source} names it in messages. */
    static Map<String, Tensor> parse(byte[] bytes, String source) throws FormatException {
        ByteReader in = new ByteReader(bytes, source);
        if (bytes.length < 8) {
            throw in.fail("too short for a safetensors file (" + bytes.length + " bytes, need at least 8)");
        }
        long headerLen = in.i64();
        if (headerLen < 0 || headerLen > MAX_HEADER) {
            throw in.fail("safetensors header length " + headerLen + " is outside 0.." + MAX_HEADER);
        }
        if (headerLen > in.remaining()) {
            throw in.fail("safetensors header length " + headerLen + " runs past the end of the file ("
                    + in.remaining() + " bytes after the length)");
        }
        int headerStart = in.skip(headerLen, "header");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, headerStart, (int) headerLen)).toString();
        } catch (CharacterCodingException e) {
            throw in.fail("safetensors header is not valid UTF-8");
        }
        // The spec allows trailing spaces as padding; JSON whitespace handles them.
        Object root = Json.parse(text, source);
        if (!(root instanceof Map<?, ?> header)) {
            throw in.fail("safetensors header is not a JSON object");
        }
        long dataStart = in.position();
        long dataLen = in.remaining();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map)) {
                    throw in.fail("__metadata__ is not a JSON object");
                }
                continue;
            }
            entries.add(entry(name, e.getValue(), in));
        }
        checkTiling(entries, dataLen, in);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            int count = (int) Tensor.numel(e.shape);
            float[] data = e.dtype.toFloats(bytes, (int) (dataStart + e.begin), count);
            out.put(e.name, new Tensor(data, e.shape));
        }
        return out;
    }

    private static Entry entry(String name, Object value, ByteReader in) throws FormatException {
        String where = "tensor '" + Json.abbreviate(name) + "'";
        if (!(value instanceof Map<?, ?> info)) {
            throw in.fail(where + " is not described by a JSON object");
        }
        if (!(info.get("dtype") instanceof String dtypeName)) {
            throw in.fail(where + " has no dtype string");
        }
        DType dtype;
        try {
            dtype = DType.valueOf(dtypeName);
        } catch (IllegalArgumentException ex) {
            throw in.fail(where + " has unknown dtype '" + Json.abbreviate(dtypeName) + "'");
        }
        if (!(info.get("shape") instanceof List<?> dims)) {
            throw in.fail(where + " has no shape array");
        }
        if (dims.size() > 64) {
            throw in.fail(where + " has " + dims.size() + " dimensions");
        }
        int[] shape = new int[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw in.fail(where + " has invalid dimension " + dims.get(i) + " in its shape");
            }
            shape[i] = (int) (long) d;
            numel *= d;
            if (numel > Integer.MAX_VALUE - 8) {
                throw in.fail(where + " has more elements than one Java array can hold");
            }
        }
        if (!(info.get("data_offsets") instanceof List<?> offs) || offs.size() != 2
                || !(offs.get(0) instanceof Long begin) || !(offs.get(1) instanceof Long end)) {
            throw in.fail(where + " has no data_offsets pair of integers");
        }
        if (begin < 0 || end < begin) {
            throw in.fail(where + " has invalid data_offsets [" + begin + ", " + end + "]");
        }
        long bytes = numel * dtype.size;
        if (end - begin != bytes) {
            throw in.fail(where + " with shape " + Tensor.shapeString(shape) + " and dtype " + dtype + " needs "
                    + bytes + " bytes but data_offsets [" + begin + ", " + end + "] cover " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** The byte ranges must cover [0, dataLen) exactly once, as the spec requires. */
    private static void checkTiling(List<Entry> entries, long dataLen, ByteReader in) throws FormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : sorted) {
            if (e.begin < expected) {
                throw in.fail("tensor '" + Json.abbreviate(e.name) + "' data_offsets [" + e.begin + ", " + e.end
                        + "] overlap the previous tensor (which ends at " + expected + ")");
            }
            if (e.begin > expected) {
                throw in.fail("hole in the data section: bytes " + expected + ".." + e.begin
                        + " belong to no tensor (before '" + Json.abbreviate(e.name) + "')");
            }
            expected = e.end;
        }
        if (expected > dataLen) {
            throw in.fail("tensor data ends at byte " + expected + " but the data section has only " + dataLen);
        }
        if (expected < dataLen) {
            throw in.fail("data section has " + (dataLen - expected) + " trailing bytes that belong to no tensor");
        }
    }

    /**
     * Writes float32 tensors, except {@code *num_batches_tracked} which PyTorch keeps as int64
     * and so is written as I64 (rounded), so that PyTorch loads it with the dtype it expects.
     */
    public static void write(Map<String, Tensor> state, Path file) throws IOException {
        AtomicFiles.write(file, out -> writeTo(state, out));
    }

    static void writeTo(Map<String, Tensor> state, OutputStream out) throws IOException {
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            DType dtype = isIntegerBuffer(e.getKey()) ? DType.I64 : DType.F32;
            long size = (long) e.getValue().size() * dtype.size;
            json.append(',');
            Json.quote(e.getKey(), json);
            json.append(":{\"dtype\":\"").append(dtype).append("\",\"shape\":[");
            int[] shape = e.getValue().shape();
            for (int i = 0; i < shape.length; i++) {
                json.append(i == 0 ? "" : ",").append(shape[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + size).append("]}");
            offset += size;
        }
        json.append('}');
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        // Pad with spaces so the data starts 8-byte aligned, as the spec recommends.
        int padded = (header.length + 7) / 8 * 8;
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        out.write(len.array());
        out.write(header);
        for (int i = header.length; i < padded; i++) {
            out.write(' ');
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            float[] data = e.getValue().data();
            if (isIntegerBuffer(e.getKey())) {
                writeLongs(data, out);
            } else {
                writeFloats(data, out);
            }
        }
    }

    static boolean isIntegerBuffer(String key) {
        return key.endsWith("num_batches_tracked");
    }

    static void writeFloats(float[] data, OutputStream out) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) {
            if (bb.remaining() < 4) {
                out.write(bb.array(), 0, bb.position());
                bb.clear();
            }
            bb.putFloat(v);
        }
        out.write(bb.array(), 0, bb.position());
    }

    static void writeLongs(float[] data, OutputStream out) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) {
            bb.clear();
            bb.putLong(Math.round((double) v));
            out.write(bb.array());
        }
    }
}
