import type { Decorator, Preview } from '@storybook/react-vite';
import { mswLoader } from 'msw-storybook-addon/csf3';
import '../src/components/styles.css';
import './preview.css';

/** Theme from the toolbar, or forced by a story with `parameters.theme`. */
const withTheme: Decorator = (Story, context) => {
  const theme = (context.parameters['theme'] as string | undefined) ?? (context.globals['theme'] as string | undefined) ?? 'light';
  document.documentElement.dataset['theme'] = theme;
  return (
    <div className="sb-stage" data-theme={theme}>
      <Story />
    </div>
  );
};

const preview: Preview = {
  tags: ['autodocs'],
  loaders: [mswLoader()],
  decorators: [withTheme],
  globalTypes: {
    theme: {
      description: 'Light or dark theme (sets data-theme)',
      toolbar: { title: 'Theme', icon: 'mirror', items: ['light', 'dark'], dynamicTitle: true },
    },
  },
  initialGlobals: { theme: 'light' },
  parameters: {
    layout: 'fullscreen',
    a11y: { test: 'error' },
    controls: { expanded: true },
  },
};

export default preview;
