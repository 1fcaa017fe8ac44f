import type { StorybookConfig } from '@storybook/react-vite';

const config: StorybookConfig = {
  framework: '@storybook/react-vite',
  // The Introduction page first, then the stories.
  stories: ['../stories/Introduction.mdx', '../stories/**/*.stories.@(ts|tsx)'],
  addons: ['@storybook/addon-docs', '@storybook/addon-a11y', '@storybook/addon-vitest'],
  // MSW's worker lives here rather than in public/ so the library build never ships it.
  staticDirs: ['./public'],
  // No telemetry notice in test output, and nothing sent from CI.
  core: { disableTelemetry: true },
  typescript: {
    // react-docgen-typescript imports the `typescript` JS API, which TypeScript 7 no longer has.
    reactDocgen: 'react-docgen',
  },
  async viteFinal(viteConfig) {
    viteConfig.optimizeDeps ??= {};
    viteConfig.optimizeDeps.include = [...(viteConfig.optimizeDeps.include ?? []), 'msw', 'msw-storybook-addon/csf3'];
    return viteConfig;
  },
};

export default config;
