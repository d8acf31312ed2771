using PandaProbe.Messages;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using PandaProbe.Model;
using Xunit;

namespace PandaProbe.Properties.Messages;

/// <summary>
/// <see cref="MessagesFormat"/> against an oracle built into the generator: every generated value is described by a
/// small model (which message is malformed, and how) from which its validity, its problem count and its last
/// user/assistant message are known without running the validator.
/// </summary>
public class MessagesFormatProperties
{
    // Role: 0 user, 1 assistant, 2 human, 3 ai, 4 system (all strings), 5 a number, 6 missing.
    // Content: 0 string, 1 null, 2 valid parts, 3 parts with one bad part, 4 number, 5 object, 6 missing.
    // Shape: 0 object, 1 number, 2 string.
    public sealed record Msg(int Shape, int Role, int Content, bool Extra, int Tag)
    {
        public bool Valid => Shape == 0 && Role <= 4 && Content <= 2;

        public int Problems => Shape != 0 ? 1 : (Role >= 5 ? 1 : 0) + (Content >= 3 ? 1 : 0);

        public JsonNode? ToNode()
        {
            if (Shape == 1) return JsonValue.Create(Tag);
            if (Shape == 2) return JsonValue.Create($"message {Tag}");
            var o = new JsonObject();
            switch (Role)
            {
                case <= 4: o["role"] = new[] { "user", "assistant", "human", "ai", "system" }[Role]; break;
                case 5: o["role"] = 7; break;
            }
            switch (Content)
            {
                case 0: o["content"] = $"text {Tag}"; break;
                case 1: o["content"] = null; break;
                case 2: o["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = $"t{Tag}" }, "plain part"); break;
                case 3: o["content"] = new JsonArray(new JsonObject { ["type"] = "text" }, 3); break;
                case 4: o["content"] = Tag; break;
                case 5: o["content"] = new JsonObject { ["text"] = "x" }; break;
            }
            if (Extra) o["tool_calls"] = new JsonArray();
            return o;
        }
    }

    // Kind: 0 null, 1 number, 2 string, 3 array, 4 object without messages, 5 messages not an array, 6 messages array.
    public sealed record Value(int Kind, Msg[] Messages)
    {
        public bool Valid => Kind == 0 || Kind == 6 && Messages.All(m => m.Valid);

        public int Problems => Kind switch { 0 => 0, 6 => Messages.Sum(m => m.Problems), _ => 1 };

        public JsonNode? ToNode() => Kind switch
        {
            0 => null,
            1 => JsonValue.Create(3.5),
            2 => JsonValue.Create("hello"),
            3 => new JsonArray(Messages.Select(m => m.ToNode()).ToArray()),
            4 => new JsonObject { ["prompt"] = "hi" },
            5 => new JsonObject { ["messages"] = "hi" },
            _ => new JsonObject { ["messages"] = new JsonArray(Messages.Select(m => m.ToNode()).ToArray()), ["model"] = "m" },
        };

        public string? LastJson(params int[] roles) =>
            Kind != 6 ? null
            : Messages.LastOrDefault(m => m.Shape == 0 && roles.Contains(m.Role)) is { } last
                ? new JsonObject { ["messages"] = new JsonArray(last.ToNode()) }.ToJsonString()
                : null;
    }

    static readonly Gen<Msg> MsgGen =
        from shape in Gen.Frequency((8, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)))
        from role in Gen.Frequency((6, Gen.Choose(0, 4)), (1, Gen.Elements(5, 6)))
        from content in Gen.Frequency((6, Gen.Choose(0, 2)), (1, Gen.Choose(3, 6)))
        from extra in Gen.Elements(true, false)
        from tag in Gen.Choose(0, 1000)
        select new Msg(shape, role, content, extra, tag);

    /// <summary>Values with their oracle (a custom generator, so not shrunk); registered in <see cref="Generators.Arbitraries"/>.</summary>
    internal static readonly Arbitrary<Value> Values = Arb.From(
        from kind in Gen.Frequency((1, Gen.Choose(0, 5)), (5, Gen.Constant(6)))
        from messages in Gen.ArrayOf(MsgGen)
        select new Value(kind, messages));

    [TraceProperty]
    public bool Validation_agrees_with_the_model_for_JSON_nodes_and_payloads(Value v)
    {
        var node = v.ToNode();
        var problems = MessagesFormat.Validate(node, "x");
        var payload = node is null ? Payload.Null : Payload.Json(node.ToJsonString());
        return problems.Count == v.Problems
            && problems.Count == 0 == v.Valid
            && problems.All(p => p.StartsWith("x", StringComparison.Ordinal))
            && MessagesFormat.Validate(payload, "x").SequenceEqual(problems);
    }

    [TraceProperty]
    public bool Extraction_returns_the_last_matching_message_or_the_same_object(Value v)
    {
        var node = v.ToNode();
        bool Agrees(object? result, string? expected) =>
            expected is null ? ReferenceEquals(result, node) : result is JsonObject o && o.ToJsonString() == expected;
        return Agrees(MessagesFormat.ExtractLastUserMessage(node), v.LastJson(0, 2))
            && Agrees(MessagesFormat.ExtractLastAssistantMessage(node), v.LastJson(1, 3));
    }
}
