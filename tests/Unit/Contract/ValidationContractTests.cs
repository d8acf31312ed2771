using PandaProbe.Messages;
using System.Text.Json;
using System.Text.Json.Nodes;
using PandaProbe.Model;
using Xunit;

namespace PandaProbe.Unit.Contract;

/// <summary>
/// Port of the Python SDK's <c>test_validation.py</c> (CONTRACT §4, §1.10): the messages convention validator and the
/// last-user / last-assistant extraction. Python dicts are written here as JSON (<see cref="JsonNode"/>); the C# API
/// also accepts dictionaries, anonymous objects, <see cref="JsonElement"/> and <see cref="Payload"/> (tested at the end).
/// Wording differs from Python on purpose: "must be a dict" is "must be an object with a 'messages' key", and
/// "must be a string, list, or None" is "must be a string, an array or null".
/// </summary>
public class ValidationContractTests
{
    static JsonNode J(string json) => JsonNode.Parse(json)!;

    static string Only(IReadOnlyList<string> problems) => Assert.Single(problems);

    // ---- accepts ------------------------------------------------------------------------------------------------

    [Fact]
    public void A_valid_messages_object_has_no_problems() =>
        Assert.Empty(MessagesFormat.Validate(J("""{"messages":[{"role":"user","content":"Hello"}]}""")));

    [Fact]
    public void Null_is_valid()
    {
        Assert.Empty(MessagesFormat.Validate(null));
        MessagesFormat.ValidateOrThrow(null);
    }

    [Fact]
    public void A_null_content_is_valid() =>
        Assert.Empty(MessagesFormat.Validate(J("""{"messages":[{"role":"assistant","content":null,"tool_calls":[]}]}""")));

    [Fact]
    public void Content_as_a_list_of_parts_is_valid() =>
        Assert.Empty(MessagesFormat.Validate(J(
            """{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}""")));

    [Fact]
    public void Several_messages_are_valid() =>
        Assert.Empty(MessagesFormat.Validate(J(
            """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}""")));

    [Fact]
    public void Extra_keys_on_messages_and_on_the_object_are_allowed() =>
        Assert.Empty(MessagesFormat.Validate(J(
            """{"messages":[{"role":"assistant","content":"x","tool_calls":[{"id":"1"}],"refusal":null}],"model":"gpt-4o"}""")));

    // ---- rejects ------------------------------------------------------------------------------------------------

    [Fact]
    public void A_value_that_is_not_an_object_is_rejected()
    {
        Assert.Equal("input must be an object with a 'messages' key, got an array.", Only(MessagesFormat.Validate(J("[1,2]"))));
        Assert.Equal("input must be an object with a 'messages' key, got a string.", Only(MessagesFormat.Validate("just text")));
        Assert.Equal("input must be an object with a 'messages' key, got a number.", Only(MessagesFormat.Validate(42)));
    }

    [Fact]
    public void An_object_without_the_messages_key_is_rejected() =>
        Assert.Equal("input is missing the 'messages' key.", Only(MessagesFormat.Validate(J("""{"prompt":"hi"}"""))));

    [Fact]
    public void A_messages_value_that_is_not_a_list_is_rejected() =>
        Assert.Equal("input.messages must be an array, got a string.", Only(MessagesFormat.Validate(J("""{"messages":"hi"}"""))));

    [Fact]
    public void A_message_that_is_not_an_object_is_rejected() =>
        Assert.Equal("input.messages[1] must be an object, got a string.",
            Only(MessagesFormat.Validate(J("""{"messages":[{"role":"user","content":"a"},"b"]}"""))));

    [Fact]
    public void A_message_without_a_role_is_rejected() =>
        Assert.Equal("input.messages[0] is missing the 'role' key.",
            Only(MessagesFormat.Validate(J("""{"messages":[{"content":"a"}]}"""))));

    [Fact]
    public void A_message_without_content_is_rejected() =>
        Assert.Equal("input.messages[0] is missing the 'content' key.",
            Only(MessagesFormat.Validate(J("""{"messages":[{"role":"user"}]}"""))));

    [Fact]
    public void A_role_that_is_not_a_string_is_rejected() =>
        Assert.Equal("input.messages[0].role must be a string, got a number.",
            Only(MessagesFormat.Validate(J("""{"messages":[{"role":1,"content":"a"}]}"""))));

    [Fact]
    public void Content_of_the_wrong_type_is_rejected()
    {
        Assert.Equal("input.messages[0].content must be a string, an array or null, got a number.",
            Only(MessagesFormat.Validate(J("""{"messages":[{"role":"user","content":5}]}"""))));
        Assert.Equal("input.messages[0].content must be a string, an array or null, got an object.",
            Only(MessagesFormat.Validate(J("""{"messages":[{"role":"user","content":{"text":"a"}}]}"""))));
    }

    [Fact]
    public void List_items_are_checked_one_by_one_and_every_problem_is_reported()
    {
        var problems = MessagesFormat.Validate(J(
            """{"messages":[{"role":"user","content":"ok"},7,{"content":"x"},{"role":"user","content":[{"type":"text"},3]}]}"""));
        Assert.Equal(
        [
            "input.messages[1] must be an object, got a number.",
            "input.messages[2] is missing the 'role' key.",
            "input.messages[3].content[1] must be a content part (an object or a string), got a number.",
        ], problems);
        var thrown = Assert.Throws<ArgumentException>(() => MessagesFormat.ValidateOrThrow(J("""{"messages":[7,8]}""")));
        Assert.StartsWith("input.messages[0] must be an object, got a number.", thrown.Message);
    }

    [Fact]
    public void The_label_appears_in_the_error_text()
    {
        Assert.Equal("trace output is missing the 'messages' key.", Only(MessagesFormat.Validate(J("{}"), "trace output")));
        var thrown = Assert.Throws<ArgumentException>(() => MessagesFormat.ValidateOrThrow(J("""{"messages":{}}"""), "LLM span input"));
        Assert.StartsWith("LLM span input.messages must be an array, got an object.", thrown.Message);
    }

    // ---- last user message --------------------------------------------------------------------------------------

    [Fact]
    public void The_last_user_message_is_picked_among_many()
    {
        var result = MessagesFormat.ExtractLastUserMessage(J(
            """{"messages":[{"role":"system","content":"s"},{"role":"user","content":"first"},{"role":"assistant","content":"a"},{"role":"user","content":"second"},{"role":"assistant","content":"b"}]}"""));
        Assert.Equal("""{"messages":[{"role":"user","content":"second"}]}""", Assert.IsType<JsonObject>(result).ToJsonString());
    }

    [Fact]
    public void A_single_user_message_is_extracted_as_is()
    {
        var result = MessagesFormat.ExtractLastUserMessage(J("""{"messages":[{"role":"user","content":"hi","name":"bob"}]}"""));
        Assert.Equal("""{"messages":[{"role":"user","content":"hi","name":"bob"}]}""", Assert.IsType<JsonObject>(result).ToJsonString());
    }

    [Fact]
    public void Without_a_user_message_the_same_object_is_returned()
    {
        var value = J("""{"messages":[{"role":"system","content":"s"},{"role":"assistant","content":"a"}]}""");
        Assert.Same(value, MessagesFormat.ExtractLastUserMessage(value));
    }

    [Fact]
    public void A_value_that_is_not_an_object_is_returned_unchanged_by_user_extraction()
    {
        var list = J("""[{"role":"user","content":"a"}]""");
        Assert.Same(list, MessagesFormat.ExtractLastUserMessage(list));
        Assert.Equal("text", MessagesFormat.ExtractLastUserMessage("text"));
        Assert.Null(MessagesFormat.ExtractLastUserMessage(null));
    }

    [Fact]
    public void An_object_without_messages_is_returned_unchanged_by_user_extraction()
    {
        var value = J("""{"prompt":"hi","role":"user"}""");
        Assert.Same(value, MessagesFormat.ExtractLastUserMessage(value));
    }

    [Fact]
    public void Messages_that_are_not_a_list_are_returned_unchanged_by_user_extraction()
    {
        var value = J("""{"messages":{"role":"user","content":"a"}}""");
        Assert.Same(value, MessagesFormat.ExtractLastUserMessage(value));
    }

    [Fact]
    public void The_human_role_counts_as_a_user_message()
    {
        var result = MessagesFormat.ExtractLastUserMessage(J("""{"messages":[{"role":"human","content":"hey"},{"role":"ai","content":"yo"}]}"""));
        Assert.Equal("""{"messages":[{"role":"human","content":"hey"}]}""", Assert.IsType<JsonObject>(result).ToJsonString());
    }

    [Fact]
    public void A_later_user_message_wins_over_an_earlier_human_one()
    {
        var result = MessagesFormat.ExtractLastUserMessage(J("""{"messages":[{"role":"human","content":"old"},{"role":"user","content":"new"}]}"""));
        Assert.Equal("""{"messages":[{"role":"user","content":"new"}]}""", Assert.IsType<JsonObject>(result).ToJsonString());
    }

    // ---- last assistant message ---------------------------------------------------------------------------------

    [Fact]
    public void The_last_assistant_message_is_picked_among_many()
    {
        var result = MessagesFormat.ExtractLastAssistantMessage(J(
            """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"first"},{"role":"user","content":"q2"},{"role":"assistant","content":"second"},{"role":"tool","content":"t"}]}"""));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"second"}]}""", Assert.IsType<JsonObject>(result).ToJsonString());
    }

    [Fact]
    public void A_single_assistant_message_is_extracted_as_is()
    {
        var result = MessagesFormat.ExtractLastAssistantMessage(J("""{"messages":[{"role":"assistant","content":null,"tool_calls":[1]}]}"""));
        Assert.Equal("""{"messages":[{"role":"assistant","content":null,"tool_calls":[1]}]}""", Assert.IsType<JsonObject>(result).ToJsonString());
    }

    [Fact]
    public void Without_an_assistant_message_the_same_object_is_returned()
    {
        var value = J("""{"messages":[{"role":"user","content":"q"}]}""");
        Assert.Same(value, MessagesFormat.ExtractLastAssistantMessage(value));
    }

    [Fact]
    public void A_value_that_is_not_an_object_is_returned_unchanged_by_assistant_extraction()
    {
        var list = J("""[{"role":"assistant","content":"a"}]""");
        Assert.Same(list, MessagesFormat.ExtractLastAssistantMessage(list));
        var number = (object)3;
        Assert.Same(number, MessagesFormat.ExtractLastAssistantMessage(number));
    }

    [Fact]
    public void An_object_without_messages_is_returned_unchanged_by_assistant_extraction()
    {
        var value = J("""{"answer":"42"}""");
        Assert.Same(value, MessagesFormat.ExtractLastAssistantMessage(value));
    }

    [Fact]
    public void Messages_that_are_not_a_list_are_returned_unchanged_by_assistant_extraction()
    {
        var value = J("""{"messages":"assistant: hi"}""");
        Assert.Same(value, MessagesFormat.ExtractLastAssistantMessage(value));
    }

    [Fact]
    public void The_ai_role_counts_as_an_assistant_message()
    {
        var result = MessagesFormat.ExtractLastAssistantMessage(J("""{"messages":[{"role":"human","content":"hey"},{"role":"ai","content":"yo"}]}"""));
        Assert.Equal("""{"messages":[{"role":"ai","content":"yo"}]}""", Assert.IsType<JsonObject>(result).ToJsonString());
    }

    [Fact]
    public void A_later_assistant_message_wins_over_an_earlier_ai_one()
    {
        var result = MessagesFormat.ExtractLastAssistantMessage(J("""{"messages":[{"role":"ai","content":"old"},{"role":"assistant","content":"new"}]}"""));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"new"}]}""", Assert.IsType<JsonObject>(result).ToJsonString());
    }

    // ---- C# input shapes (beyond the Python suite) --------------------------------------------------------------

    [Fact]
    public void Anonymous_objects_are_judged_by_the_JSON_they_are_recorded_as()
    {
        Assert.Empty(MessagesFormat.Validate(new { messages = new[] { new { role = "user", content = "Hi" } } }));
        // A PascalCase property is recorded as "Messages", which the platform does not read as the convention.
        Assert.Equal("input is missing the 'messages' key.",
            Only(MessagesFormat.Validate(new { Messages = new[] { new { role = "user", content = "Hi" } } })));

        var extracted = MessagesFormat.ExtractLastUserMessage(new
        {
            messages = new object[] { new { role = "user", content = "a" }, new { role = "assistant", content = "b" } },
        });
        Assert.Equal("""{"messages":[{"role":"user","content":"a"}]}""", Assert.IsType<JsonObject>(extracted).ToJsonString());
    }

    [Fact]
    public void Dictionaries_keep_the_original_message_object_when_extracted()
    {
        var user = new Dictionary<string, object?> { ["role"] = "user", ["content"] = "question" };
        var input = new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { new Dictionary<string, object?> { ["role"] = "system", ["content"] = "s" }, user },
        };
        Assert.Empty(MessagesFormat.Validate(input));
        var result = Assert.IsType<Dictionary<string, object?>>(MessagesFormat.ExtractLastUserMessage(input));
        Assert.Same(user, Assert.Single(Assert.IsType<List<object?>>(result["messages"])));
        Assert.Same(input, MessagesFormat.ExtractLastAssistantMessage(input));
    }

    [Fact]
    public void JsonElements_and_payloads_are_accepted_and_keep_their_family()
    {
        using var doc = JsonDocument.Parse("""{"messages":[{"role":"user","content":"u"},{"role":"assistant","content":"a"}]}""");
        Assert.Empty(MessagesFormat.Validate(doc.RootElement));
        var element = Assert.IsType<JsonElement>(MessagesFormat.ExtractLastAssistantMessage(doc.RootElement));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"a"}]}""", element.GetRawText());

        var payload = Payload.Json("""{"messages":[{"role":"user","content":"u"}]}""");
        Assert.Empty(MessagesFormat.Validate(payload));
        Assert.Equal(Payload.Json("""{"messages":[{"role":"user","content":"u"}]}"""), MessagesFormat.ExtractLastUserMessage(payload));
        Assert.Single(MessagesFormat.Validate(Payload.Text("""{"messages":[]}""")));
        Assert.Empty(MessagesFormat.Validate(Payload.Null));
    }

    [Fact]
    public void A_string_holding_JSON_is_a_string_not_a_messages_object()
    {
        const string json = """{"messages":[{"role":"user","content":"u"}]}""";
        Assert.Equal("input must be an object with a 'messages' key, got a string.", Only(MessagesFormat.Validate(json)));
        Assert.Same(json, MessagesFormat.ExtractLastUserMessage(json));
        Assert.True(MessagesFormat.IsValid(JsonNode.Parse(json)));
        Assert.False(MessagesFormat.IsValid(json));
    }
}
