/** Model names the bench gives the fake Gemini, so its call log tells narratives from analyses. */
export const FAKE_GEMINI_MODELS = { narrative: 'bench-narrative-pro', analysis: 'bench-analysis-flash' } as const;

/** Variables that point the app's Gemini provider at the fake on `url`. */
export function fakeGeminiEnv(url: string): Record<string, string> {
  return {
    GEMINI_API_KEY: 'bench-key',
    GEMINI_BASE_URL: url,
    GEMINI_NARRATIVE_MODEL: FAKE_GEMINI_MODELS.narrative,
    GEMINI_ANALYSIS_MODEL: FAKE_GEMINI_MODELS.analysis,
  };
}
