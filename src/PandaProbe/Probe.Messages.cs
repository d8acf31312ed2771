using Format = PandaProbe.Messages.MessagesFormat;

namespace PandaProbe;

public static partial class Probe
{
    /// <summary>
    /// The platform's messages convention (<c>{"messages":[{"role":"user","content":"…"}]}</c>), which its evaluations
    /// read from trace input and output: checks and the extraction of the current user or final assistant message.
    /// Every member accepts <c>null</c>, JSON values (<c>JsonNode</c>, <c>JsonElement</c>, <c>JsonDocument</c>),
    /// dictionaries and any object, judged by the JSON it would be recorded as (property names are case-sensitive);
    /// a <see cref="string"/> is a string value, never parsed. None of them throws, except <see cref="ValidateOrThrow"/>.
    /// </summary>
    /// <example><code>
    /// using var t = Probe.StartTrace("chat-turn", input: Probe.Messages.ExtractLastUserMessage(conversation));
    /// var problems = Probe.Messages.Validate(new { prompt = "hi" }, "trace input");   // ["trace input is missing the 'messages' key."]
    /// </code></example>
    public static class Messages
    {
        /// <summary>
        /// Every way <paramref name="value"/> breaks the convention, as sentences naming <paramref name="label"/> and
        /// the offending path; empty when it conforms (<c>null</c> conforms).
        /// </summary>
        /// <param name="value">The value to check.</param>
        /// <param name="label">What the value is, for the sentences (e.g. <c>"trace input"</c>).</param>
        public static IReadOnlyList<string> Validate(object? value, string label = "input") => Format.Validate(value, label);

        /// <summary><c>true</c> when <paramref name="value"/> follows the convention.</summary>
        /// <param name="value">The value to check.</param>
        public static bool IsValid(object? value) => Format.IsValid(value);

        /// <summary>Throws when <paramref name="value"/> breaks the convention; the message is the first problem found.</summary>
        /// <param name="value">The value to check.</param>
        /// <param name="label">What the value is, for the message.</param>
        /// <exception cref="ArgumentException">The value does not follow the messages convention.</exception>
        public static void ValidateOrThrow(object? value, string label = "input") => Format.ValidateOrThrow(value, label);

        /// <summary>
        /// <c>{"messages":[the last user message]}</c> (role <c>user</c> or <c>human</c>) when <paramref name="value"/>
        /// holds one, otherwise <paramref name="value"/> itself: what a trace's input should be. The result keeps the
        /// input's family (a <c>JsonElement</c> for a <c>JsonElement</c>, a dictionary for a dictionary, a
        /// <c>JsonObject</c> for anything else).
        /// </summary>
        /// <param name="value">A messages value, or anything.</param>
        public static object? ExtractLastUserMessage(object? value) => Format.ExtractLastUserMessage(value);

        /// <summary>
        /// <c>{"messages":[the last assistant message]}</c> (role <c>assistant</c> or <c>ai</c>), or
        /// <paramref name="value"/> itself when there is none: what a trace's output should be.
        /// </summary>
        /// <param name="value">A messages value, or anything.</param>
        public static object? ExtractLastAssistantMessage(object? value) => Format.ExtractLastAssistantMessage(value);
    }
}
