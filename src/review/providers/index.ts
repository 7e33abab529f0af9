import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import { createHeuristicProvider } from './heuristic.ts';
import { createOpenAIProvider } from './openai.ts';
import type { ReviewProvider } from './provider.ts';

/** The provider named by JOB_REVIEW_PROVIDER. */
export function createProvider(config: Config, log?: Logger): ReviewProvider {
  switch (config.provider) {
    case 'openai':
      return createOpenAIProvider(config.openai, log);
    case 'heuristic':
      return createHeuristicProvider();
  }
}
