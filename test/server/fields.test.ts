// The handler's list of request fields and tool kinds against the Anthropic SDK's types. `tsc --noEmit -p .` (CI's
// type-check) fails here when the SDK gains a field or a tool the handler does not know, so the list cannot go
// stale silently: each new one must be sorted into "passes" or "needs an opt-in".
import type { MessageCountTokensParams, MessageCreateParamsBase, ToolUnion } from '@anthropic-ai/sdk/resources/messages/messages';
import type {
  BetaToolUnion,
  MessageCountTokensParams as BetaMessageCountTokensParams,
  MessageCreateParamsBase as BetaMessageCreateParamsBase,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CLIENT_TOOLS, HARMLESS_SERVER_TOOLS, OPT_IN_FIELDS, OPT_IN_SERVER_TOOLS, PASSING_FIELDS, toolFamily } from '../../src/server/fields.js';
import type { KnownField } from '../../src/server/fields.js';

type SdkField = keyof MessageCreateParamsBase | keyof BetaMessageCreateParamsBase | keyof MessageCountTokensParams | keyof BetaMessageCountTokensParams;
type KnownFamily = (typeof CLIENT_TOOLS)[number] | (typeof HARMLESS_SERVER_TOOLS)[number] | (typeof OPT_IN_SERVER_TOOLS)[number];
type SdkToolType = NonNullable<ToolUnion['type'] | BetaToolUnion['type']>;

describe("the handler's field list", () => {
  it("knows every field of the SDK's MessageCreateParams and count_tokens params, beta ones included", () => {
    expectTypeOf<Exclude<SdkField, KnownField>>().toEqualTypeOf<never>();
  });

  it("knows every kind of tool in the SDK's tool unions", () => {
    expectTypeOf<Exclude<SdkToolType, KnownFamily | `${KnownFamily}_${string}`>>().toEqualTypeOf<never>();
  });

  it('sorts each field into exactly one list', () => {
    const passing: readonly string[] = PASSING_FIELDS;
    for (const field of Object.keys(OPT_IN_FIELDS)) expect(passing).not.toContain(field);
    expect(new Set(passing).size).toBe(passing.length);
  });

  it('reads a tool family from its versioned type, and no type as a custom tool', () => {
    expect(toolFamily('web_search_20250305')).toBe('web_search');
    expect(toolFamily('computer_toolset_20260801')).toBe('computer_toolset');
    expect(toolFamily('mcp_toolset')).toBe('mcp_toolset');
    expect(toolFamily(undefined)).toBe('custom');
  });
});
