import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', 'dist/', '.data/', 'scratch/', 'test-artifacts/', 'bench/out/', '.build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Row shapes from raw SQL and GeoJSON input are typed at the boundary; `any` stays rare and deliberate.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Flags loop-carried initial values (let x = NaN before a retry loop) as useless; they are defensive.
      'no-useless-assignment': 'off',
    },
  },
)
