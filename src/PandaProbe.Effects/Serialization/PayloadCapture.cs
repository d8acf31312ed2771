using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace PandaProbe.Serialization;

/// <summary>
/// Turns user values into immutable <see cref="Payload"/> snapshots at the moment they are recorded, so that later
/// mutation of the user's object cannot rewrite history. Strings, numbers and other immutable values take a fast path
/// with no serializer; everything else is serialized with System.Text.Json (enums as strings, NaN and infinities as
/// named literals, public fields included, depth at most 64, cycles ignored). Never throws and never blocks: a value
/// that cannot be serialized is recorded as the <see cref="Payload.Unserializable"/> marker; a task, value task,
/// delegate or stream anywhere in a value is recorded as a marker (<c>"[Task: Running]"</c>; a task that already
/// completed gives its result), never awaited or read; a value larger than <see cref="Limits.MaxValueBytes"/> keeps the
/// start of its JSON as text ending with <see cref="Limits.TruncationMarker"/>, and serializing it stops there.
/// </summary>
/// <remarks>
/// Tracking references to ignore cycles costs a table per value, so a value is first written without it; only a value
/// too deep for that (which is what a cycle is) is written again with cycles ignored.
/// </remarks>
internal static class PayloadCapture
{
    /// <summary>The deepest object graph serialized before the value is given up on.</summary>
    public const int MaxDepth = 64;

    static readonly JsonSerializerOptions Options = CreateOptions(cycles: false);
    static readonly JsonSerializerOptions CycleSafe = CreateOptions(cycles: true);

    static JsonSerializerOptions CreateOptions(bool cycles)
    {
        var options = new JsonSerializerOptions
        {
            ReferenceHandler = cycles ? ReferenceHandler.IgnoreCycles : null,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            MaxDepth = MaxDepth,
            WriteIndented = false,
            // Public fields too: value tuples (and LanguageExt maps, which enumerate as tuples) would otherwise be {}.
            IncludeFields = true,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new UnreadableValueConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>A snapshot of <paramref name="value"/>; the unserializable marker when it cannot be serialized.</summary>
    /// <param name="value">Any value, including <c>null</c>.</param>
    public static Payload Capture(object? value)
    {
        TryCapture(value, out var payload);
        return payload;
    }

    /// <summary>Takes a snapshot of <paramref name="value"/>.</summary>
    /// <param name="value">Any value, including <c>null</c>.</param>
    /// <param name="payload">The snapshot, or the unserializable marker.</param>
    /// <returns><c>false</c> when the value could not be serialized and the marker was used instead.</returns>
    public static bool TryCapture(object? value, out Payload payload)
    {
        try
        {
            if (Fast(value) is { } fast)
            {
                payload = fast;
                return true;
            }
            payload = Serialize(value!);
            return true;
        }
        catch (Exception)
        {
            payload = Payload.Unserializable(TypeName(value));
            return false;
        }
    }

    /// <summary>
    /// Captures every value of a key/value sequence (metadata, parameters). <c>null</c> gives an empty map; entries
    /// with a <c>null</c> key are skipped; a later duplicate key replaces an earlier one.
    /// </summary>
    /// <param name="values">The entries, or <c>null</c>.</param>
    /// <param name="failures">How many values had to be recorded as the unserializable marker.</param>
    public static Map<string, Payload> CaptureMap(IEnumerable<KeyValuePair<string, object?>>? values, out int failures)
    {
        failures = 0;
        if (values is null) return Map<string, Payload>();
        var captured = new List<(string Key, Payload Value)>(values is IReadOnlyCollection<KeyValuePair<string, object?>> c ? c.Count : 4);
        try
        {
            foreach (var kv in values)
            {
                if (kv.Key is not { } key) continue;
                if (!TryCapture(kv.Value, out var payload)) failures++;
                captured.Add((key, payload));
            }
        }
        catch (Exception)
        {
            // An enumerator that throws: keep what was captured so far.
            failures++;
        }
        return Maps.Build(captured);
    }

    /// <summary>
    /// Serializes within the byte budget: the value is written into a buffer that refuses to grow past
    /// <see cref="Limits.MaxValueBytes"/>, so a huge value costs the budget's worth of work, then keeps its start.
    /// </summary>
    static Payload Serialize(object value) => OnBuffer(value, static (v, writer, buffer) => Serialize(v, writer, buffer));

    /// <summary>
    /// Runs <paramref name="write"/> on this thread's budget buffer and writer (kept between captures, so only the
    /// kept bytes are allocated), or on buffers of its own when a capture is already under way on this thread (a getter
    /// that records a value while one is being captured).
    /// </summary>
    static Payload OnBuffer<TState>(TState state, Func<TState, Utf8JsonWriter, BudgetBuffer, Payload> write)
    {
        if (Busy)
        {
            var own = new BudgetBuffer(Limits.MaxValueBytes);
            using var ownWriter = new Utf8JsonWriter(own, WriterOptions);
            return write(state, ownWriter, own);
        }
        Busy = true;
        var buffer = Budget ??= new BudgetBuffer(Limits.MaxValueBytes);
        var writer = Writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        try
        {
            return write(state, writer, buffer);
        }
        finally
        {
            buffer.Clear();
            if (buffer.Capacity > 64 * 1024) Budget = null;   // keep no large buffer per thread
            writer.Reset(Budget ??= new BudgetBuffer(Limits.MaxValueBytes));
            Busy = false;
        }
    }

    static Payload Serialize(object value, Utf8JsonWriter writer, BudgetBuffer buffer)
    {
        try
        {
            try { Write(writer, buffer, value, Options); }
            catch (Exception e) when (e is JsonException or BudgetBuffer.Exceeded)
            {
                // Too deep (a cycle), or too large, which an unrolled cycle can be too: once more, cycles ignored.
                Write(writer, buffer, value, CycleSafe);
            }
            // The writer may have written a last string into room it already held: the budget is checked on the result.
            if (buffer.Written.Length > Limits.MaxValueBytes) throw new BudgetBuffer.Exceeded();
            return Payload.Utf8Json(buffer.Written.ToArray());   // kept as UTF-8: decoded only if someone reads the text
        }
        catch (BudgetBuffer.Exceeded)
        {
            var start = buffer.Written;
            var cut = Math.Min(start.Length, Limits.MaxValueBytes - 64);
            while (cut > 0 && cut < start.Length && (start[cut] & 0xC0) == 0x80) cut--;   // not inside a UTF-8 sequence
            return Payload.Text(Encoding.UTF8.GetString(start[..cut]) + Limits.TruncationMarker);
        }
    }

    [ThreadStatic] static bool Busy;

    static void Write(Utf8JsonWriter writer, BudgetBuffer buffer, object value, JsonSerializerOptions options)
    {
        buffer.Clear();
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, value, value.GetType(), options);
        writer.Flush();
    }

    static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        MaxDepth = MaxDepth + 1,
    };

    [ThreadStatic] static BudgetBuffer? Budget;
    [ThreadStatic] static Utf8JsonWriter? Writer;

    static Payload? Fast(object? value) => value switch
    {
        null => Payload.Null,
        string s => Payload.Text(s.Length > Limits.MaxValueBytes ? Limits.Truncate(s, Limits.MaxValueBytes) : s),
        Payload p => p,
        bool b => Payload.Json(b ? "true" : "false"),
        int i => Literal(i.ToString(CultureInfo.InvariantCulture)),
        long l => Literal(l.ToString(CultureInfo.InvariantCulture)),
        short s => Literal(s.ToString(CultureInfo.InvariantCulture)),
        byte b => Literal(b.ToString(CultureInfo.InvariantCulture)),
        sbyte b => Literal(b.ToString(CultureInfo.InvariantCulture)),
        ushort u => Literal(u.ToString(CultureInfo.InvariantCulture)),
        uint u => Literal(u.ToString(CultureInfo.InvariantCulture)),
        ulong u => Literal(u.ToString(CultureInfo.InvariantCulture)),
        Int128 i => Literal(i.ToString(CultureInfo.InvariantCulture)),
        UInt128 u => Literal(u.ToString(CultureInfo.InvariantCulture)),
        decimal d => Literal(d.ToString(CultureInfo.InvariantCulture)),
        double d => Floating(d),
        float f => float.IsFinite(f) ? Literal(f.ToString("R", CultureInfo.InvariantCulture)) : Floating(f),
        Half h => Half.IsFinite(h) ? Literal(h.ToString(CultureInfo.InvariantCulture)) : Floating((double)h),
        char c => Payload.Text(c.ToString()),
        DateTimeOffset t => Payload.Text(t.ToString("O", CultureInfo.InvariantCulture)),
        DateTime t => Payload.Text(t.ToString("O", CultureInfo.InvariantCulture)),
        DateOnly d => Payload.Text(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        TimeOnly t => Payload.Text(t.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)),
        TimeSpan t => Payload.Text(t.ToString("c", CultureInfo.InvariantCulture)),
        Guid g => Payload.Text(g.ToString("D")),
        Enum e => Payload.Text(e.ToString()),
        Uri u => Payload.Text(u.OriginalString),
        JsonElement e => e.ValueKind == JsonValueKind.Undefined ? Payload.Null : Payload.Json(e.GetRawText()),
        JsonDocument d => Payload.Json(d.RootElement.GetRawText()),
        JsonNode n => Payload.Json(n.ToJsonString(Options)),
        IJsonWritable w => Written(w),
        _ => null,
    };

    /// <summary>
    /// A value that writes itself (the SDK's own forms, such as chat messages), captured straight to UTF-8 and, like a
    /// JSON node, in full: the platform limits apply later, in the enrichment, as for every value.
    /// </summary>
    static Payload Written(IJsonWritable value)
    {
        try
        {
            return OnBuffer(value, static (v, writer, buffer) =>
            {
                buffer.Clear();
                writer.Reset(buffer);
                v.WriteTo(writer);
                writer.Flush();
                return Payload.Utf8Json(buffer.Written.ToArray());
            });
        }
        catch (BudgetBuffer.Exceeded)
        {
            // Larger than the budget: written again, in full.
            var whole = new System.Buffers.ArrayBufferWriter<byte>(Limits.MaxValueBytes);
            using (var own = new Utf8JsonWriter(whole, WriterOptions)) value.WriteTo(own);
            return Payload.Utf8Json(whole.WrittenSpan.ToArray());
        }
    }

    static Payload Literal(string text) => Payload.Json(text);

    static Payload Floating(double d) =>
        double.IsNaN(d) ? Payload.Text("NaN")
        : double.IsPositiveInfinity(d) ? Payload.Text("Infinity")
        : double.IsNegativeInfinity(d) ? Payload.Text("-Infinity")
        : Payload.Json(d.ToString("R", CultureInfo.InvariantCulture));

    static string TypeName(object? value)
    {
        try { return value?.GetType().FullName ?? value?.GetType().Name ?? "null"; }
        catch (Exception) { return "unknown"; }
    }

    /// <summary>A growable byte buffer that throws <see cref="Exceeded"/> instead of growing past its budget.</summary>
    sealed class BudgetBuffer(int budget) : IBufferWriter<byte>
    {
        byte[] bytes = new byte[1024];
        int written;

        internal sealed class Exceeded : Exception;

        public ReadOnlySpan<byte> Written => bytes.AsSpan(0, written);

        public int Capacity => bytes.Length;

        public void Clear() => written = 0;

        public void Advance(int count) => written += count;

        // Ensure may replace the array: call it before reading the field.
        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            var start = Ensure(sizeHint);
            return bytes.AsMemory(start);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            var start = Ensure(sizeHint);
            return bytes.AsSpan(start);
        }

        // Utf8JsonWriter asks, before writing a string, for room for its worst case (3 bytes per character, 6 when
        // every character is escaped), not for what it will write: a string that fits the budget may ask for six times
        // it. So the room asked may reach Ceiling; only what is written is held to the budget.
        long Ceiling => 6L * budget + 1024;

        int Ensure(int sizeHint)
        {
            var need = Math.Max(sizeHint, 256);
            if (written >= budget || (long)written + need > Ceiling) throw new Exceeded();
            if (bytes.Length - written < need)
            {
                var size = (int)Math.Min(Math.Min(Math.Max((long)bytes.Length * 2, (long)written + need), Ceiling), int.MaxValue - 64);
                System.Array.Resize(ref bytes, size);
            }
            return written;
        }
    }

    /// <summary>
    /// Records what must never be read while capturing: a task or value task (reading an unfinished one's result would
    /// block the caller; a completed one gives its result), a delegate, a stream (reading moves it), a cancellation
    /// token or a wait handle: each as a marker text.
    /// </summary>
    sealed class UnreadableValueConverter : JsonConverterFactory
    {
        public override bool CanConvert(Type type) =>
            typeof(Task).IsAssignableFrom(type) || type == typeof(ValueTask)
            || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            || typeof(Delegate).IsAssignableFrom(type) || typeof(Stream).IsAssignableFrom(type)
            || typeof(WaitHandle).IsAssignableFrom(type) || type == typeof(CancellationToken)
            || typeof(IAsyncResult).IsAssignableFrom(type) && !type.IsValueType;

        public override JsonConverter CreateConverter(Type type, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(Marker<>).MakeGenericType(type))!;

        sealed class Marker<T> : JsonConverter<T>
        {
            public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
                throw new NotSupportedException();

            public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
            {
                switch ((object?)value)
                {
                    case null:
                        writer.WriteNullValue();
                        return;
                    case Task task when task.IsCompletedSuccessfully && task.GetType().IsGenericType
                                         && task.GetType().GetProperty("Result") is { } result
                                         && result.PropertyType.FullName != "System.Threading.Tasks.VoidTaskResult":
                        JsonSerializer.Serialize(writer, result.GetValue(task), result.PropertyType, options);
                        return;
                    case Task task:
                        writer.WriteStringValue($"[Task: {task.Status}]");
                        return;
                    case ValueTask vt:
                        writer.WriteStringValue(vt.IsCompletedSuccessfully ? "[ValueTask: RanToCompletion]" : "[ValueTask: not completed]");
                        return;
                    case Delegate d:
                        writer.WriteStringValue($"[delegate: {d.GetType().Name}]");
                        return;
                    case Stream:
                        writer.WriteStringValue($"[stream: {value.GetType().Name}]");
                        return;
                    case CancellationToken:
                        writer.WriteStringValue("[CancellationToken]");
                        return;
                }
                var type = value.GetType();
                if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
                {
                    // Never its result: reading it may consume a pooled source the application still awaits.
                    var completed = (bool)type.GetProperty(nameof(ValueTask.IsCompletedSuccessfully))!.GetValue(value)!;
                    writer.WriteStringValue(completed ? "[ValueTask: RanToCompletion]" : "[ValueTask: not completed]");
                    return;
                }
                writer.WriteStringValue($"[{type.Name}]");
            }
        }
    }
}

/// <summary>
/// A value of the SDK's own that writes its JSON itself (for example the chat middleware's messages form), so that
/// capturing it builds no intermediate tree: <see cref="PayloadCapture"/> hands it a writer with the capture's
/// settings and keeps the UTF-8 it wrote.
/// </summary>
internal interface IJsonWritable
{
    /// <summary>Writes exactly one JSON value.</summary>
    void WriteTo(Utf8JsonWriter writer);
}
