/* placeholder: filled in by the L2/L3 work */
