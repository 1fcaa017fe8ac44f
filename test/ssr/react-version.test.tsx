import { version } from 'react';
import { describe, expect, it } from 'vitest';

describe('the React under test', () => {
  it('is the major version this project runs against', () => {
    expect(version.split('.')[0]).toBe(process.env.EXPECTED_REACT_MAJOR ?? '19');
  });
});
