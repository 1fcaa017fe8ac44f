// Type tests: `npx tsc --noEmit -p .` checks them (vitest runs the file too, where they are no-ops). They pin the
// shape of every hook's result and that each type used in a public signature can be named by an app.
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  ClaudeDemand, ClaudeError, ClaudeErrorContext, ClaudeMessages, ClaudeMutationResult,
  ClaudeQueryResult, ClaudeStreamResult, ClaudeStreamStatus, DemandSnapshot, FailureKind, Message, MessageRequest, RetryPhase,
  RetryState, StatusIncident, StatusReport, FallbackOffer, FallbackOptions, OfferScope, RequestPriority, ClaudeClientOptions,
  RunOptions, ClaudeMutationOptions, ClaudeQueryOptions, ClaudeStreamOptions, ClaudeProviderProps, ClaudeQueryConfig,
  ClaudeQueryKey, ClaudeSuspenseQueryResult, ClaudeClient,
  DemandOffer,
} from '../../src/index.js';
import { useAnthropicStatus, type AnthropicStatusResult } from '../../src/features/status.js';
import {
  toClaudeError, useClaudeDemand, useClaudeMutation, useClaudeQuery, useClaudeStream, useRetryCountdown,
  useRetryState, claudeQueryOptions, claudeQueryKey, useClaudeSuspenseQuery, messageText,
} from '../../src/index.js';
// The building blocks' types, named from their entry.
import type {
  AcquireOptions, AttemptFunction, ConfiguredRetryPolicy, GateSnapshot, GateState, IncidentWatch, JitterStrategy, KindPolicy,
  ModelGateSnapshot, QueryRegistry, ResolvedKindPolicy,
} from '../../src/core/index.js';
import { createRetryPolicy, formatWait, plural, readClaudeError } from '../../src/core/index.js';
import type { UseSuspenseQueryResult } from '@tanstack/react-query';
import type { frenchMessages } from '../../src/core/messages-fr.js';
import { modelFallback, type FallbackChain } from '../../src/features/fallback.js';
import { priorityLanes, type GateLanes } from '../../src/features/lanes.js';
import type { GateOptions } from '../../src/core/index.js';

describe('the types of the public API', () => {
  it('gives every hook the result shape the README documents', () => {
    expectTypeOf(useClaudeStream).returns.toEqualTypeOf<ClaudeStreamResult>();
    expectTypeOf<ClaudeStreamResult>().toMatchTypeOf<{
      send(request: MessageRequest | string): void;
      text: string;
      status: ClaudeStreamStatus;
      restarted: boolean;
      message: Message | undefined;
      error: ClaudeError | undefined;
      retry: RetryState;
      cancel(): void;
    }>();
    expectTypeOf<ClaudeStreamStatus>().toEqualTypeOf<
      'idle' | 'sending' | 'streaming' | 'waiting' | 'paused' | 'done' | 'error' | 'cancelled'
    >();

    expectTypeOf(useClaudeMutation).returns.toEqualTypeOf<ClaudeMutationResult>();
    expectTypeOf<ClaudeMutationResult>().toMatchTypeOf<UseMutationResult<Message, ClaudeError, MessageRequest, unknown>>();
    expectTypeOf<ClaudeMutationResult['retry']>().toEqualTypeOf<RetryState>();

    expectTypeOf(useClaudeQuery).returns.toEqualTypeOf<ClaudeQueryResult>();
    expectTypeOf<ClaudeQueryResult>().toMatchTypeOf<UseQueryResult<Message, ClaudeError>>();
    expectTypeOf<ClaudeQueryResult["text"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ClaudeQueryResult['retry']>().toEqualTypeOf<RetryState>();

    expectTypeOf(useClaudeDemand).returns.toEqualTypeOf<ClaudeDemand>();
    expectTypeOf<ClaudeDemand>().toMatchTypeOf<DemandSnapshot & { retryNow(): void; cancel(): void; dismiss(): void }>();
    expectTypeOf<DemandSnapshot['nextAttemptAt']>().toEqualTypeOf<number | undefined>();

    expectTypeOf(useRetryState).returns.toEqualTypeOf<RetryState>();
    expectTypeOf<RetryState>().toEqualTypeOf<{
      phase: RetryPhase;
      attempt: number;
      failure?: ClaudeError;
      nextAttemptAt?: number;
      model?: string;
      fallbackFrom?: string;
      offer?: FallbackOffer;
      retryNow(): void;
      cancel(): void;
      acceptOffer(scope?: OfferScope): void;
      declineOffer(): void;
    }>();
    expectTypeOf(useRetryCountdown).returns.toEqualTypeOf<number | undefined>();
    expectTypeOf(useAnthropicStatus).returns.toEqualTypeOf<AnthropicStatusResult>();
    expectTypeOf<AnthropicStatusResult>().toMatchTypeOf<UseQueryResult<StatusReport> & { incident?: StatusIncident }>();
  });

  it('takes a fallback chain and a priority on the client, the provider and each hook', () => {
    expectTypeOf<FallbackOptions>().toEqualTypeOf<{ models: readonly string[]; afterMs?: number; mode?: 'auto' | 'offer' }>();
    expectTypeOf(modelFallback).toEqualTypeOf<(options: FallbackOptions) => FallbackChain>();
    expectTypeOf<FallbackOffer>().toEqualTypeOf<{ model: string; from: string }>();
    expectTypeOf<RequestPriority>().toEqualTypeOf<'interactive' | 'background'>();
    expectTypeOf(priorityLanes).toEqualTypeOf<() => GateLanes>();
    expectTypeOf<GateOptions['lanes']>().toEqualTypeOf<GateLanes | undefined>();
    expectTypeOf<ClaudeClientOptions['fallback']>().toEqualTypeOf<FallbackChain | undefined>();
    expectTypeOf<ClaudeProviderProps['fallback']>().toEqualTypeOf<FallbackChain | undefined>();
    expectTypeOf<RunOptions['fallback']>().toEqualTypeOf<FallbackChain | false | undefined>();
    for (const hookFallback of [] as Array<ClaudeMutationOptions['fallback'] | ClaudeQueryOptions['fallback'] | ClaudeStreamOptions['fallback']>) {
      expectTypeOf(hookFallback).toEqualTypeOf<FallbackChain | false | undefined>();
    }
    expectTypeOf<ClaudeStreamOptions['priority']>().toEqualTypeOf<RequestPriority | undefined>();
    expectTypeOf<DemandSnapshot['offer']>().toEqualTypeOf<DemandOffer | undefined>();
    expectTypeOf<DemandOffer>().toMatchTypeOf<FallbackOffer>();
    expectTypeOf<NonNullable<DemandOffer['accept']>>().toEqualTypeOf<(scope?: OfferScope) => void>();
    expectTypeOf<GateSnapshot['models']>().toEqualTypeOf<Readonly<Record<string, ModelGateSnapshot>>>();
  });

  it('names the types used in core signatures', () => {
    expectTypeOf(createRetryPolicy).returns.toEqualTypeOf<ConfiguredRetryPolicy>();
    expectTypeOf<ConfiguredRetryPolicy['settingsFor']>().returns.toEqualTypeOf<ResolvedKindPolicy>();
    expectTypeOf<KindPolicy['jitter']>().toEqualTypeOf<JitterStrategy | undefined>();
    expectTypeOf(toClaudeError).parameter(1).toEqualTypeOf<ClaudeErrorContext | undefined>();
    expectTypeOf(readClaudeError).returns.resolves.toEqualTypeOf<ClaudeError>();
    expectTypeOf<GateSnapshot['state']>().toEqualTypeOf<GateState>();
    expectTypeOf<AcquireOptions['onHold']>().toEqualTypeOf<((reopenAt: number | undefined) => void) | undefined>();
    expectTypeOf<AttemptFunction<string>>().toEqualTypeOf<(signal: AbortSignal, attempt: number, model?: string) => Promise<string>>();
    expectTypeOf<QueryRegistry['get']>().returns.not.toBeAny();
    expectTypeOf<IncidentWatch['report']>().parameter(0).toEqualTypeOf<StatusReport>();
    expectTypeOf<ClaudeError['kind']>().toEqualTypeOf<FailureKind>();
    expectTypeOf<'not_configured'>().toMatchTypeOf<FailureKind>();
  });

  it("types the kit's queries as TanStack options, so the data type flows", () => {
    const typesOnly = (client: ClaudeClient, request: MessageRequest) => {
      expectTypeOf(claudeQueryOptions(client, request)).toEqualTypeOf<ClaudeQueryConfig<Message>>();
      expectTypeOf(claudeQueryOptions(client, request, { select: messageText })).toEqualTypeOf<ClaudeQueryConfig<string>>();
    };
    void typesOnly;
    expectTypeOf(claudeQueryKey).returns.toEqualTypeOf<ClaudeQueryKey>();
    expectTypeOf<ClaudeQueryKey>().toEqualTypeOf<readonly ['claude-overload-kit', 'message', string, { model?: string; prompt: string }]>();
    expectTypeOf(useClaudeSuspenseQuery).returns.toEqualTypeOf<ClaudeSuspenseQueryResult>();
    expectTypeOf<ClaudeSuspenseQueryResult>().toMatchTypeOf<UseSuspenseQueryResult<Message, ClaudeError>>();
    expectTypeOf<ClaudeSuspenseQueryResult['text']>().toEqualTypeOf<string>();
    expectTypeOf<ClaudeMutationOptions['concurrency']>().toEqualTypeOf<'parallel' | 'latest' | undefined>();
  });

  it('lets a translation be written outside the package with the same helpers', () => {
    expectTypeOf(formatWait).toEqualTypeOf<(seconds: number, locale: string) => string>();
    expectTypeOf(plural).parameter(2).toMatchTypeOf<{ other: string }>();
    expectTypeOf<typeof frenchMessages>().toEqualTypeOf<ClaudeMessages>();
  });
});
